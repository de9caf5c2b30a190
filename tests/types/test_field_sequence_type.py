"""FieldSequence (thyra_graph.types.field_sequence): snapshots in content-addressed chunk files."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from thyra_graph.types import Field, FieldSequence
from thyra_graph.engine.chunks import FieldSequenceWriter
from thyra_graph.types.field_sequence import ChunkError


def frame(i: int, shape=(6, 8)) -> np.ndarray:
    return np.full(shape, float(i), np.float32) + np.arange(shape[1], dtype=np.float32)


def write(root, count: int = 10, *, chunk_bytes: int = 6 * 8 * 4 * 3, offset: int = 0) -> FieldSequence:
    """``count`` snapshots, three per chunk by default."""
    rock = np.zeros((6, 8), np.float32)
    rock[2, 3] = 1
    with FieldSequenceWriter(root, (6, 8), ["height"], dx=0.5, dy=0.25, static={"obstacle": rock},
                             meta={"fps": 10.0}, chunk_bytes=chunk_bytes) as writer:
        for i in range(count):
            writer.append(i / 10, 4 * i, {"height": frame(i + offset)})
        return writer.finish()


def test_snapshots_come_back_in_order_as_fields_with_the_static_layers(tmp_path):
    sequence = write(tmp_path)
    sequence.validate()
    assert len(sequence) == 10 and len(sequence.chunks) == 4
    fields = list(sequence.fields())
    assert all(isinstance(f, Field) for f in fields)
    for i, f in enumerate(fields):
        np.testing.assert_array_equal(f["height"], frame(i))
        assert f.names == ["height", "obstacle"]
        assert f.t == pytest.approx(i / 10) and f.meta["step"] == 4 * i and f.meta["fps"] == 10.0
        assert (f.dx, f.dy) == (0.5, 0.25)
    np.testing.assert_array_equal(sequence.at(-1)["height"], frame(9))
    np.testing.assert_array_equal(sequence.at(4)["height"], frame(4))
    with pytest.raises(IndexError, match="snapshot 10 does not exist"):
        sequence.at(10)


def test_the_record_holds_a_handle_not_the_snapshots_and_still_reads_them(tmp_path, roundtrip):
    sequence = write(tmp_path, 30)
    meta, arrays = sequence.to_record()
    assert set(arrays) == {"times", "steps", "static0"}, "snapshot data must stay in the chunk files"
    back = roundtrip(sequence)
    assert back.folder == sequence.folder and back.chunks == sequence.chunks
    np.testing.assert_array_equal(back.at(17)["height"], frame(17))
    assert sequence.nbytes() < 30 * frame(0).nbytes / 4, "the handle must not count the snapshots it points to"


def test_the_cache_watches_every_chunk_file(tmp_path):
    sequence = write(tmp_path)
    assert sequence.files() == [str(p) for p in sequence.chunk_paths()]
    assert all(p.parent == tmp_path for p in sequence.chunk_paths())


def test_identical_chunks_are_one_file_named_by_their_content_and_different_ones_are_not(tmp_path):
    a, b = write(tmp_path), write(tmp_path)
    c = write(tmp_path, offset=1)
    assert a.chunk_paths() == b.chunk_paths()
    assert not set(a.chunk_paths()) & set(c.chunk_paths())
    for path in a.chunk_paths():
        assert path.name == hashlib.blake2b(path.read_bytes(), digest_size=20).hexdigest() + ".npz"
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted({p.name for p in a.chunk_paths() + c.chunk_paths()}), "temporary files left behind"


def test_rewriting_the_same_content_restores_a_deleted_chunk_and_keeps_the_others_untouched(tmp_path):
    sequence = write(tmp_path)
    first, second = sequence.chunk_paths()[:2]
    before = second.stat().st_mtime_ns
    first.unlink()
    again = write(tmp_path)
    assert again.chunk_paths() == sequence.chunk_paths() and first.is_file()
    assert second.stat().st_mtime_ns == before
    np.testing.assert_array_equal(again.at(0)["height"], frame(0))


def test_a_missing_chunk_is_reported_and_earlier_snapshots_stream_before_it(tmp_path):
    sequence = write(tmp_path)
    sequence.chunk_paths()[2].unlink()
    seen = []
    with pytest.raises(ChunkError, match="deleted or moved after the solve; run the graph again"):
        for f in sequence.fields():
            seen.append(f.t)
    assert len(seen) == 6, "the chunks before the missing one should have been read, one at a time"


def test_an_altered_chunk_is_detected_by_its_content_hash(tmp_path):
    sequence = write(tmp_path)
    path = sequence.chunk_paths()[1]
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChunkError, match="changed after it was written"):
        sequence.at(4)


def test_a_failed_write_leaves_nothing_behind_and_keeps_chunks_it_did_not_create(tmp_path):
    kept = write(tmp_path, 3)  # one chunk, shared with the failing writer's first
    with pytest.raises(RuntimeError, match="solver crashed"):
        with FieldSequenceWriter(tmp_path, (6, 8), ["height"], dx=0.5, dy=0.25, chunk_bytes=6 * 8 * 4 * 3) as writer:
            for i in range(5):
                writer.append(i / 10, 4 * i, {"height": frame(i)})
            raise RuntimeError("solver crashed")
    assert sorted(tmp_path.iterdir()) == kept.chunk_paths()


def test_snapshots_of_the_wrong_shape_or_layers_are_refused(tmp_path):
    with FieldSequenceWriter(tmp_path, (6, 8), ["height"], dx=1, dy=1) as writer:
        with pytest.raises(ValueError, match="shape"):
            writer.append(0.0, 0, {"height": np.zeros((5, 8))})
        with pytest.raises(ValueError, match="differ"):
            writer.append(0.0, 0, {"velocity": frame(0)})


def test_validate_names_inconsistent_counts(tmp_path):
    sequence = write(tmp_path)
    sequence.times = sequence.times[:-1]
    with pytest.raises(ValueError, match="9 times but 10 steps"):
        sequence.validate()
