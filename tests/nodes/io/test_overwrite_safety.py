"""Overwrite safety for every sink: re-runs replace what Thyra wrote, files Thyra did not write
are never silently overwritten, every write is atomic, and any path a user can type works."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.declaration import NodeError
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graphfile import load_graph_text
from thyra_graph.nodes.export.coco import coco
from thyra_graph.nodes.export.exr import exr
from thyra_graph.nodes.export.instance_masks import instance_masks
from thyra_graph.nodes.export.panoptic import panoptic
from thyra_graph.nodes.export.photogrammetry import photogrammetry_masks
from thyra_graph.nodes.export.semantic_png import semantic_png
from thyra_graph.nodes.io.image_files import save_image
from thyra_graph.nodes.io.paths import MANIFEST_NAME, OutputFiles, read_manifest
from thyra_graph.nodes.io.video_files import load_video, save_video
from thyra_graph.types import Image, Instances

# Folder and file names with spaces, accents, CJK and an emoji: all must work everywhere.
AWKWARD = "out dir ü 日本 🐦"


@pytest.fixture
def objects() -> Instances:
    masks = np.zeros((2, 12, 16), bool)
    masks[0, 2:6, 3:9] = masks[1, 5:11, 8:15] = True
    return Instances(masks, [1, 2], [0.9, 0.5], classes={1: "vogel 鳥", 2: "Bäume"})


# -- the helper ---------------------------------------------------------------------------
def test_files_are_recorded_and_replaced_on_the_next_run(tmp_path):
    target = tmp_path / "a.txt"
    out = OutputFiles(tmp_path / "owner", overwrite=False, what="text")
    out.write_bytes(target, b"one")
    assert out.commit() == [str(target)]
    assert read_manifest(tmp_path)["a.txt"]["size"] == 3
    again = OutputFiles(tmp_path / "owner", overwrite=False, what="text")
    again.write_bytes(target, b"two!")
    again.commit()
    assert target.read_bytes() == b"two!"


def test_a_file_thyra_did_not_write_is_refused_and_nothing_is_written(tmp_path):
    (tmp_path / "b.txt").write_text("mine, not Thyra's")
    out = OutputFiles(tmp_path, overwrite=False, what="text")
    with pytest.raises(NodeError, match=r"1 file\(s\) in .* already exist and were not written by Thyra.*'b.txt'.*"
                                        r"set overwrite: true"):
        out.claim([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert not (tmp_path / "a.txt").exists() and (tmp_path / "b.txt").read_text() == "mine, not Thyra's"


def test_a_file_thyra_wrote_but_someone_changed_since_is_refused(tmp_path):
    out = OutputFiles(tmp_path, overwrite=False, what="text")
    out.write_bytes(tmp_path / "a.txt", b"thyra")
    out.commit()
    (tmp_path / "a.txt").write_text("edited by hand, longer")
    with pytest.raises(NodeError, match="or were changed since"):
        OutputFiles(tmp_path, overwrite=False, what="text").claim([tmp_path / "a.txt"])


def test_overwrite_true_replaces_any_file(tmp_path):
    (tmp_path / "b.txt").write_text("foreign")
    out = OutputFiles(tmp_path, overwrite=True, what="text")
    out.write_bytes(tmp_path / "b.txt", b"thyra")
    out.commit()
    assert (tmp_path / "b.txt").read_text() == "thyra"


def test_a_re_run_that_writes_fewer_files_removes_its_stale_ones_but_not_edited_ones(tmp_path):
    first = OutputFiles(tmp_path / "folder", overwrite=False, what="mask")
    for name in ("1.png", "2.png", "3.png"):
        first.write_bytes(tmp_path / name, name.encode())
    first.commit()
    (tmp_path / "3.png").write_text("kept: edited after export")
    second = OutputFiles(tmp_path / "folder", overwrite=False, what="mask")
    second.write_bytes(tmp_path / "1.png", b"again")
    second.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME, "1.png", "3.png"]
    assert set(read_manifest(tmp_path)) == {"1.png"}


def test_another_sinks_files_in_the_same_folder_are_left_alone(tmp_path):
    for owner, name in (("coco", "a.json"), ("masks", "b.png")):
        out = OutputFiles(tmp_path / owner, overwrite=False, what="file")
        out.write_bytes(tmp_path / name, b"x")
        out.commit()
    rerun = OutputFiles(tmp_path / "coco", overwrite=False, what="file")
    rerun.write_bytes(tmp_path / "a.json", b"y")
    rerun.commit()
    assert (tmp_path / "b.png").exists() and set(read_manifest(tmp_path)) == {"a.json", "b.png"}


def test_a_crash_while_writing_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    target = tmp_path / "coco.json"
    out = OutputFiles(target, overwrite=False, what="COCO file")
    out.write_json(target, {"images": [1, 2, 3]})
    out.commit()
    crashing = OutputFiles(target, overwrite=False, what="COCO file")
    with pytest.raises(RuntimeError, match="power cut"):
        with crashing.writing(target) as temporary:
            temporary.write_text('{"images": [1, 2')  # half a document ...
            raise RuntimeError("power cut")  # ... and the process dies
    assert json.loads(target.read_text()) == {"images": [1, 2, 3]}
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME, "coco.json"]


def test_an_unreadable_manifest_makes_every_file_count_as_foreign(tmp_path):
    out = OutputFiles(tmp_path, overwrite=False, what="text")
    out.write_bytes(tmp_path / "a.txt", b"x")
    out.commit()
    (tmp_path / MANIFEST_NAME).write_text("{broken")
    with pytest.raises(NodeError, match="not written by Thyra"):
        OutputFiles(tmp_path, overwrite=False, what="text").claim([tmp_path / "a.txt"])


def test_sinks_in_parallel_threads_sharing_a_folder_all_get_recorded(tmp_path):
    def write(index: int) -> None:
        out = OutputFiles(tmp_path / f"sink{index}", overwrite=False, what="file")
        out.write_bytes(tmp_path / f"{index}.bin", bytes(index))
        out.commit()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(read_manifest(tmp_path)) == {f"{i}.bin" for i in range(16)}


def test_the_manifest_name_itself_cannot_be_a_target(tmp_path):
    with pytest.raises(NodeError, match="choose another file name"):
        OutputFiles(tmp_path, overwrite=False, what="x").claim([tmp_path / MANIFEST_NAME])


# -- the sinks ----------------------------------------------------------------------------
def test_save_image_replaces_its_own_file_and_refuses_a_foreign_one(tmp_path):
    target = tmp_path / "shot.png"
    save_image(Image(np.zeros((4, 4, 3), np.uint8)), path=str(target))
    save_image(Image(np.full((4, 4, 3), 200, np.uint8)), path=str(target))  # a re-run: replaced
    assert cv2.imread(str(target))[0, 0, 0] == 200
    cv2.imwrite(str(tmp_path / "photo.png"), np.full((4, 4, 3), 7, np.uint8))
    with pytest.raises(NodeError, match="not written by Thyra"):
        save_image(Image(np.zeros((4, 4, 3), np.uint8)), path=str(tmp_path / "photo.png"))
    assert cv2.imread(str(tmp_path / "photo.png"))[0, 0, 0] == 7
    save_image(Image(np.zeros((4, 4, 3), np.uint8)), path=str(tmp_path / "photo.png"), overwrite=True)
    assert cv2.imread(str(tmp_path / "photo.png"))[0, 0, 0] == 0


def test_save_video_refuses_a_foreign_file(tmp_path, bikes_path):
    (tmp_path / "clip.avi").write_bytes(b"someone's video")
    video = load_video(path=bikes_path)
    with pytest.raises(NodeError, match="not written by Thyra"):
        save_video(video, path=str(tmp_path / "clip.avi"))
    assert (tmp_path / "clip.avi").read_bytes() == b"someone's video"


EXPORTERS = {
    "semantic_png": (semantic_png, "semantic"),
    "instance_masks": (instance_masks, "objects"),
    "panoptic": (panoptic, "panoptic.json"),
    "coco": (coco, "coco.json"),
    "exr": (exr, "exr"),
    "photogrammetry_masks": (photogrammetry_masks, "masks"),
}


@pytest.mark.parametrize("name", EXPORTERS)
def test_every_exporter_writes_to_awkward_paths_and_replaces_only_its_own_files(objects, tmp_path, name):
    exporter, target = EXPORTERS[name]
    path = tmp_path / AWKWARD / target
    photo = Image(np.zeros((12, 16, 3), np.uint8), {"path": f"/fotos/Straße {name} 写真.jpg"})
    first = exporter(objects, image=photo, path=str(path))
    written = [Path(p) for p in first.files()]
    assert written and all(p.is_file() and AWKWARD in str(p) for p in written)
    assert all("Straße" in p.name or p.suffix == ".json" for p in written)
    second = exporter(objects, image=photo, path=str(path))  # a re-run replaces its own files
    assert sorted(second.files()) == sorted(first.files())
    victim = written[0]
    victim.write_bytes(b"a file someone else put here")
    with pytest.raises(NodeError, match="not written by Thyra"):
        exporter(objects, image=photo, path=str(path))
    assert victim.read_bytes() == b"a file someone else put here"
    exporter(objects, image=photo, path=str(path), overwrite=True)
    assert victim.read_bytes() != b"a file someone else put here"


# -- through the engine -------------------------------------------------------------------
GRAPH = """
thyra: 1
name: export-safety
nodes:
  load:   {type: io.load_image, params: {path: SAMPLES/coins.png}}
  gray:   {type: image.to_gray, inputs: {image: load.image}}
  mask:   {type: image.threshold, inputs: {image: gray.image}}
  coins:  {type: image.contours, inputs: {mask: mask.mask}, params: {min_area: MIN_AREA}}
  masks:  {type: export.instance_masks, inputs: {instances: coins.instances, image: load.image}, params: {path: out/objects}}
  coco:   {type: export.coco, inputs: {instances: coins.instances, image: load.image}, params: {path: out/coco.json}}
"""


def run(tmp_path, min_area: int):
    import thyra_graph

    samples = Path(thyra_graph.__file__).parent / "samples"
    text = GRAPH.replace("SAMPLES", samples.as_posix()).replace("MIN_AREA", str(min_area))
    loaded = load_graph_text(text, default_registry(), base_dir=tmp_path)
    assert loaded.ok, loaded.diagnostics
    return Executor(disk=DiskCache()).run(loaded.graph)


def test_a_graph_re_run_replaces_its_files_and_a_deleted_file_makes_its_sink_run_again(tmp_path, monkeypatch):
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    first = run(tmp_path, 300)
    assert first.ok
    objects = tmp_path / "out" / "objects"
    many = sorted(p.name for p in objects.glob("*.png"))
    assert run(tmp_path, 300).nodes["masks"].status == "cached"
    (objects / many[3]).unlink()  # deleting any one written file ...
    again = run(tmp_path, 300)
    assert again.nodes["masks"].status == "executed"  # ... makes the sink write them again
    assert again.nodes["coco"].status == "cached"
    assert sorted(p.name for p in objects.glob("*.png")) == many
    fewer = run(tmp_path, 1500)  # a changed graph: its new files replace the old ones
    assert fewer.ok and 0 < len(list(objects.glob("*.png"))) < len(many)
    index = json.loads((objects / "index.json").read_text())["masks"]
    assert sorted(m["file"] for m in index) == sorted(p.name for p in objects.glob("*.png"))


def test_a_foreign_file_fails_only_its_sink_and_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "coco.json").write_text('{"mine": true}')
    result = run(tmp_path, 300)
    assert result.nodes["coco"].status == "failed" and "overwrite: true" in result.nodes["coco"].error
    assert result.nodes["masks"].status == "executed"
    assert json.loads((tmp_path / "out" / "coco.json").read_text()) == {"mine": True}


def test_a_value_json_cannot_hold_is_a_clear_error_and_nothing_is_written(tmp_path):
    out = OutputFiles(tmp_path, overwrite=False, what="COCO file")
    with pytest.raises(NodeError, match="NaN or infinite"):
        out.write_json(tmp_path / "c.json", {"score": float("nan")})
    assert list(tmp_path.iterdir()) == []
