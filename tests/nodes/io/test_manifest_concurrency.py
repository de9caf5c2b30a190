"""Concurrent runs writing into one folder (a batch's worker processes) lose no entry of the
record of files Thyra wrote, so none of them later refuses to replace Thyra's own files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from thyra_graph.nodes.io.paths import OutputFiles, read_manifest

WRITER = """
import sys, time
from pathlib import Path
from thyra_graph.nodes.io.paths import OutputFiles
folder, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
for n in range(3):  # one commit per file: as many manifest updates as possible
    target = folder / f"{name}-{n}.txt"
    out = OutputFiles(target, overwrite=False, what="text")
    out.write_bytes(target, b"x" * 10)
    out.commit()
"""


def test_four_processes_committing_into_one_folder_lose_no_entry(tmp_path):
    folder, go = tmp_path / "out", tmp_path / "go"
    folder.mkdir()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), f"w{i}", str(go)]) for i in range(6)]
    time.sleep(1.0)  # let every interpreter start and wait at the line
    go.touch()
    assert [w.wait(timeout=60) for w in writers] == [0] * 6
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert len(files) == 18
    assert sorted(read_manifest(folder)) == files
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == [".thyra-written.json"]
    again = OutputFiles(folder / "w0-0.txt", overwrite=False, what="text")
    assert again.claim([folder / f for f in files])  # every file is known as Thyra's: none refused
