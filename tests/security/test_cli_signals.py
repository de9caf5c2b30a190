"""SIGTERM stops `thyra run` as cleanly as Ctrl-C: cancelled status, finished work cached,
no temporary files left, exit 143 (128 + SIGTERM) instead of Ctrl-C's 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_cli import environment, run_json, thyra_command, write_graph

pytestmark = pytest.mark.skipif(os.name == "nt", reason="Windows delivers no SIGTERM to a process")
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


def slow_graph(folder: Path) -> Path:
    return write_graph(folder, f"""\
        thyra: 1
        name: stopped
        nodes:
          base:  {{type: testkit.constant, params: {{value: 2.0}}}}
          plus:  {{type: testkit.add, inputs: {{x: base.value}}}}
          slow:  {{type: testkit.slow, inputs: {{x: plus.value}}, params: {{seconds: 60, started: {folder / 'started'}}}}}
    """)


def start_and_stop(folder: Path, graph: Path, sent: signal.Signals, *extra: str) -> tuple[int, str, str]:
    process = subprocess.Popen([*thyra_command(), "run", str(graph), "--json", *extra], cwd=folder,
                               env=environment(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (folder / "started").exists():
        assert process.poll() is None and time.monotonic() < deadline, "the slow node never started"
        time.sleep(0.02)
    process.send_signal(sent)
    try:
        stdout, stderr = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, stdout, stderr


def leftovers(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if ".tmp" in p.name]


@pytest.mark.parametrize("sent, code", [(signal.SIGTERM, EXIT_TERMINATED), (signal.SIGINT, EXIT_INTERRUPTED)],
                         ids=["SIGTERM", "SIGINT"])
def test_sigterm_cancels_the_run_like_ctrl_c(tmp_path, sent, code):
    graph = slow_graph(tmp_path)
    returncode, stdout, stderr = start_and_stop(tmp_path, graph, sent, "--workers", "2")
    assert returncode == code, stderr
    assert "Traceback" not in stderr
    result = json.loads(stdout)  # still one JSON object on stdout
    assert result["status"] == "cancelled"
    assert result["nodes"]["slow"]["status"] == "skipped"
    assert leftovers(tmp_path) == []
    again = run_json(graph, "--set", "slow.seconds=0", "--target", "slow", home=tmp_path)
    assert {n: r["status"] for n, r in again["nodes"].items()} == {"base": "cached", "plus": "cached", "slow": "executed"}


def test_sigterm_stops_an_over_batch_after_the_current_input(tmp_path):
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(tmp_path / name), np.zeros((4, 4, 3), np.uint8))
    graph = write_graph(tmp_path, f"""\
        thyra: 1
        name: batch
        nodes:
          load:  {{type: io.load_image, params: {{path: a.png}}}}
          base:  {{type: testkit.constant}}
          slow:  {{type: testkit.slow, inputs: {{x: base.value}}, params: {{seconds: 60, started: {tmp_path / 'started'}}}}}
    """)
    returncode, stdout, stderr = start_and_stop(tmp_path, graph, signal.SIGTERM, "--over", str(tmp_path / "*.png"),
                                                "--bind", "load.path")
    assert returncode == EXIT_TERMINATED, stderr
    *runs, summary = [json.loads(line) for line in stdout.splitlines()]  # JSON lines: inputs, then the batch
    assert summary["status"] == "cancelled" and [run["status"] for run in runs] == ["cancelled"]
    assert summary["not_run"] == 1
    assert leftovers(tmp_path) == []


def test_sigterm_stops_a_process_pool_batch_workers_included_and_a_rerun_finishes_it(tmp_path):
    import psutil

    for name in ("a.png", "b.png", "c.png"):
        cv2.imwrite(str(tmp_path / name), np.zeros((4, 4, 3), np.uint8))
    graph = write_graph(tmp_path, f"""\
        thyra: 1
        name: pool
        nodes:
          load:  {{type: io.load_image, params: {{path: a.png}}}}
          base:  {{type: testkit.constant}}
          slow:  {{type: testkit.slow, inputs: {{x: base.value}}, params: {{seconds: 60, started: {tmp_path / 'started'}}}}}
    """)
    over = ("--over", str(tmp_path / "*.png"), "--bind", "load.path", "--jobs", "2")
    process = subprocess.Popen([*thyra_command(), "run", str(graph), "--json", *over], cwd=tmp_path,
                               env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert process.poll() is None and time.monotonic() < deadline, "the slow node never started"
        time.sleep(0.02)
    workers = psutil.Process(process.pid).children(recursive=True)
    assert workers
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == EXIT_TERMINATED, stderr
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["status"] == "cancelled" and summary["ok"] == 0
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "worker processes outlived the batch"
    assert leftovers(tmp_path) == []
    again = subprocess.run([*thyra_command(), "run", str(graph), "--json", *over, "--set", "slow.seconds=0"],
                           cwd=tmp_path, env=environment(tmp_path), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.splitlines()[-1])["ok"] == 3
