"""The one store: a record is returned only as it was written under its key; folders are
shareable by a group; what a killed writer left is swept; the size limit evicts the least
recently used first; a run without a cache writes nothing there."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from thyra_graph.engine import atomic
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.memcache import CacheEntry
from thyra_graph.engine.store import MAGIC, Store, parse_limit
from thyra_graph.types import Number

KEY, OTHER = "ab" + "1" * 38, "cd" + "2" * 38


def counted(cache: DiskCache, key: str, value: float) -> Path:
    assert cache.put(key, CacheEntry({"count": Number(value)}), node_type="count.clumps")
    return cache.store.path_for("results", key)


# -- what is returned is what was written under that key ---------------------------------------
def test_a_flipped_bit_in_the_header_is_detected_not_served(tmp_path, caplog):
    # The bug this guards: a bit flip turned coins.count = 24 into 25, served with exit 0.
    cache = DiskCache(tmp_path)
    path = counted(cache, KEY, 24.0)
    data = bytearray(path.read_bytes())
    at = data.index(b"24.0")
    data[at + 1] ^= 0x01  # '4' → '5'
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert cache.read_header(KEY) is None
    assert "header does not match its checksum" in caplog.text and not path.exists()


def test_a_valid_record_copied_over_another_keys_file_is_not_served_as_that_key(tmp_path, caplog):
    cache = DiskCache(tmp_path)
    counted(cache, KEY, 24.0)
    counted(cache, OTHER, 7.0)
    cache.store.path_for("results", OTHER).write_bytes(cache.store.path_for("results", KEY).read_bytes())
    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert cache.get(OTHER) is None
        assert cache.read_header(OTHER) is None
    assert "another key" in caplog.text
    assert cache.get(KEY).outputs["count"] == Number(24.0)  # the original is untouched


@pytest.mark.parametrize("cut", [1, 20, 200])
def test_a_truncated_record_is_detected(tmp_path, cut):
    cache = DiskCache(tmp_path)
    path = counted(cache, KEY, 24.0)
    path.write_bytes(path.read_bytes()[:-cut])
    assert cache.get(KEY) is None and not path.exists()


def test_records_start_with_the_v2_magic_in_the_v2_layout(tmp_path):
    path = counted(DiskCache(tmp_path), KEY, 1.0)
    assert path.read_bytes().startswith(MAGIC) and path.relative_to(tmp_path).parts[:2] == ("v2", "results")


# -- sharing a folder --------------------------------------------------------------------------
def test_records_are_made_with_the_umasks_permissions_not_private_ones(tmp_path):
    old = os.umask(0o002)
    try:
        path = counted(DiskCache(tmp_path), KEY, 1.0)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o664


def test_a_record_another_user_made_unreadable_is_a_miss_and_is_not_deleted(tmp_path, caplog):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    cache = DiskCache(tmp_path)
    path = counted(cache, KEY, 1.0)
    path.chmod(0)
    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert cache.get(KEY) is None
    assert path.exists() and "not readable" in caplog.text


def _as_user(uid: int, gid: int, work) -> object:
    """Run ``work()`` in a forked child as another user of group ``gid`` (umask 002)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become the other user, do the work, report, leave
        try:
            os.close(read)
            os.setgroups([gid])
            os.setgid(gid)
            os.setuid(uid)
            os.umask(0o002)
            result = json.dumps(work())
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            result = json.dumps({"error": repr(exc)})
        os.write(write, result.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as stream:
        answer = json.loads(stream.read())
    os.waitpid(pid, 0)
    return answer


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root (POSIX) to act as two users")
def test_a_second_user_of_a_group_shared_folder_reads_the_first_users_entries(tmp_path):
    import shutil
    import tempfile

    group, first_user, second_user = 47011, 47012, 47013
    outer = Path(tempfile.mkdtemp(prefix="thyra-shared-"))  # /tmp itself: reachable by every user
    try:
        outer.chmod(0o755)
        shared = outer / "cache"
        shared.mkdir()
        os.chown(shared, 0, group)
        shared.chmod(0o2775)  # setgid, group-writable: what docs/shared-cache tells a lab to do

        def write():
            return DiskCache(shared).put(KEY, CacheEntry({"count": Number(24.0)}), node_type="count.clumps")

        def read():
            entry = DiskCache(shared).get(KEY)
            DiskCache(shared).put(OTHER, CacheEntry({"count": Number(7.0)}))  # and adds its own
            return None if entry is None else entry.outputs["count"].value

        assert _as_user(first_user, group, write) is True
        assert _as_user(second_user, group, read) == 24.0
        assert _as_user(first_user, group, lambda: DiskCache(shared).get(OTHER).outputs["count"].value) == 7.0
        assert DiskCache(shared).store.path_for("results", KEY).exists()  # nobody deleted anybody's entry as "corrupt"
    finally:
        shutil.rmtree(outer, ignore_errors=True)


# -- what a killed writer leaves ---------------------------------------------------------------
KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from thyra_graph.engine import atomic
target = Path(sys.argv[1])
temporary = atomic.temporary_name(target)
with open(temporary, "xb") as stream:
    stream.write(b"x" * 100000)
    stream.flush()
    os.kill(os.getpid(), signal.SIGKILL)   # kill -9 in the middle of the write
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
@pytest.mark.parametrize("writing", ["a record", "a chunk"])
def test_what_a_writer_killed_mid_write_left_is_gone_after_the_next_run(tmp_path, writing):
    store = Store(tmp_path)
    store.put("results", KEY, {"ports": {}}, b"")
    atomic.write_bytes(store.folder("fields") / ("ab" * 20 + ".npz"), b"chunk")
    folder = store.path_for("results", KEY).parent if writing == "a record" else store.folder("fields")
    before = sorted(p.name for p in folder.iterdir())
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(folder / f"{OTHER}.thyra")], timeout=60)
    assert done.returncode == -signal.SIGKILL
    leftovers = [p for p in folder.iterdir() if ".tmp" in p.name]
    assert len(leftovers) == 1
    # The next run (a new process) sweeps it; a live writer's temporary file would be kept.
    done = subprocess.run([sys.executable, "-c", f"from thyra_graph.engine.store import Store; Store({str(tmp_path)!r})"],
                          timeout=60)
    assert done.returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == before


def test_the_sweep_keeps_temporary_files_of_live_writers(tmp_path):
    mine = atomic.temporary_name(tmp_path / "result.png")
    mine.write_bytes(b"being written")
    assert atomic.sweep(tmp_path) == 0 and mine.exists()


# -- the size limit ----------------------------------------------------------------------------
def test_the_size_limit_evicts_the_least_recently_used_first(tmp_path):
    cache = DiskCache(tmp_path, max_bytes=None)
    keys = [f"{i:02d}" + "e" * 38 for i in range(5)]
    paths = [counted(cache, key, float(i)) for i, key in enumerate(keys)]
    now = time.time()
    for age, path in zip((500, 400, 300, 200, 100), paths):  # written oldest first
        os.utime(path, (now - age, now - age))
    assert cache.get(keys[0]) is not None  # used just now: the most recently used
    sizes = [path.stat().st_size for path in paths]
    removed, freed = cache.store.prune(sum(sizes) - sizes[1] - sizes[2])
    assert removed == 2 and freed == sizes[1] + sizes[2]
    assert [cache.store.path_for("results", key).is_file() for key in keys] == [True, False, False, True, True]


def test_chunk_files_are_evicted_like_records_and_temporary_files_are_not_counted(tmp_path):
    store = Store(tmp_path)
    chunk = store.folder("fields") / ("ab" * 20 + ".npz")
    atomic.write_bytes(chunk, b"x" * 1000)
    atomic.temporary_name(store.folder("fields") / ("cd" * 20 + ".npz")).write_bytes(b"being written")
    store.put("results", KEY, {}, b"y" * 100)
    old = time.time() - 500
    os.utime(chunk, (old, old))
    assert store.usage().entries == 2
    assert store.prune(500) == (1, 1000) and not chunk.exists()
    assert store.get("results", KEY).body == b"y" * 100


def test_thyra_cache_prune_and_info_report_usage_by_node_type(tmp_path):
    cache = DiskCache(tmp_path / "cache", max_bytes=None)
    for i in range(4):
        counted(cache, f"{i:02d}" + "f" * 38, float(i))
    env = dict(os.environ, THYRA_CACHE_DIR=str(tmp_path / "cache"))
    info = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "cache", "info", "--json"], env=env,
                          capture_output=True, text=True, timeout=60)
    usage = json.loads(info.stdout)
    assert usage["entries"] == 4 and usage["node_types"]["count.clumps"][0] == 4
    pruned = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "cache", "prune", "--max-size", "1", "--json"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(pruned.stdout)["removed"] == 4
    bad = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "cache", "prune", "--max-size", "lots"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "20G" in bad.stderr and "Traceback" not in bad.stderr


def test_sizes_read_as_people_write_them():
    assert parse_limit("20G") == 20 * 10**9 and parse_limit("1.5Ki") == 1536 and parse_limit("0") is None
    with pytest.raises(ValueError, match="512M"):
        parse_limit("twenty")


# -- a run without the cache writes nothing there -----------------------------------------------
PLUGIN = """
from thyra_graph import Output, node
from thyra_graph.types import Number

@node("store.memoing", outputs=[Output("value", Number)])
def memoing(*, ctx):
    \"\"\"Keeps a memo and a chunk, as SAM 2 embeddings and wave solves do.\"\"\"
    ctx.memo.put("demo", "m" * 16, {"n": 1})
    folder = ctx.chunk_folder("fields")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("ab" * 20 + ".npz")).write_bytes(b"chunk")
    return Number(1.0)
"""


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def test_no_cache_leaves_the_cache_folder_byte_identical(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "memoing.py").write_text(PLUGIN, encoding="utf-8")
    (tmp_path / "g.yaml").write_text("thyra: 1\nname: memo\nnodes:\n  m: {type: store.memoing}\n", encoding="utf-8")
    env = dict(os.environ, THYRA_CACHE_DIR=str(tmp_path / "cache"), THYRA_PLUGIN_PATH=str(tmp_path / "plugins"),
               XDG_DATA_HOME=str(tmp_path / "xdg"))
    command = [sys.executable, "-m", "thyra_graph.cli", "run", str(tmp_path / "g.yaml"), "--json"]
    assert subprocess.run(command, env=env, capture_output=True, timeout=120).returncode == 0
    before = snapshot(tmp_path / "cache")
    assert any("memo-demo" in name for name in before) and any("fields" in name for name in before)
    done = subprocess.run([*command, "--no-cache"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["nodes"]["m"]["status"] == "executed"
    assert snapshot(tmp_path / "cache") == before


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_sinks_output_folder_is_swept_of_what_a_killed_run_left_on_the_next_write(tmp_path):
    from thyra_graph.nodes.io.paths import atomic_write

    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(out / "overlay.png")], timeout=60)
    assert done.returncode == -signal.SIGKILL and len(list(out.iterdir())) == 1
    with atomic_write(out / "count.json", what="JSON") as temporary:
        temporary.write_text("{}")
    assert [p.name for p in out.iterdir()] == ["count.json"]
