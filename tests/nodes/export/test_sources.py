"""Which images an exporter writes and what they are called."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.sources import export_items, safe_file_part
from thyra_graph.types import FrameSeries, Image, Instances, Points


def test_a_single_image_is_named_after_the_connected_image_or_image_png(scene):
    assert export_items(scene, None, None, "")[0].file_name == "image.png"
    photo = Image(np.zeros((60, 80, 3), np.uint8), {"path": r"C:\shots\Ärger 1.JPG"})
    (item,) = export_items(scene, None, photo, "")
    assert (item.file_name, item.stem) == ("Ärger 1.JPG", "Ärger 1")
    assert export_items(scene, None, photo, "renamed.tif")[0].file_name == "renamed.tif"


def test_a_video_frame_image_is_named_after_its_video_and_frame(scene):
    frame = Image(np.zeros((60, 80, 3), np.uint8), {"path": "/v/bikes.mp4", "frame": 12, "time_s": 0.48})
    (item,) = export_items(scene, None, frame, "")
    assert (item.file_name, item.frame, item.time) == ("bikes_000012.png", 12, 0.48)


def test_series_frames_need_a_frame_placeholder(frames):
    assert [i.file_name for i in export_items(None, frames, None, "")] == [
        "frame_000000.png", "frame_000005.png", "frame_000010.png"]
    with pytest.raises(NodeError, match="every frame the same name: put {frame} in it"):
        export_items(None, frames, None, "clip.jpg")
    with pytest.raises(NodeError, match="not a valid pattern"):
        export_items(None, frames, None, "clip_{frame:q}.jpg")


def test_a_series_of_something_else_is_refused():
    series = FrameSeries.from_items([(0, 0.0, Points([[1, 2]]))])
    with pytest.raises(NodeError, match="holds Points per frame; an exporter needs Instances"):
        export_items(None, series, None, "")


@pytest.mark.parametrize("name", ["/etc/passwd", "../up.png", "C:/x.png", " "])
def test_image_names_must_stay_inside_the_output_folder(scene, name):
    with pytest.raises(NodeError, match="must be a file name"):
        export_items(scene, None, None, name)


def test_unsafe_characters_are_replaced_and_unicode_kept():
    assert safe_file_part('a/b\\c:d*e?"f<g>h|i') == "a_b_c_d_e__f_g_h_i"
    assert safe_file_part("Straßenbahn 電車") == "Straßenbahn 電車"
    assert safe_file_part("...") == "object"
