"""export.depth: float32 metres on the reference view's grid, as .npy or float TIFF."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.depth_files import depth as export_depth
from thyra_graph.types import Field


@pytest.fixture
def depth_map() -> Field:
    values = np.linspace(0.5, 12.25, 30 * 40, dtype=np.float32).reshape(30, 40)
    values[3, 4] = np.nan
    return Field({"depth": values}, meta={"units": "metres"})


@pytest.mark.parametrize("name", ["depth.npy", "depth.tiff", "depth.tif"])
def test_the_file_holds_the_exact_float32_values(depth_map, tmp_path, name) -> None:
    target = tmp_path / name
    export_depth(depth_map, path=str(target))
    if name.endswith(".npy"):
        read = np.load(target, allow_pickle=False)
    else:
        read = cv2.imread(str(target), cv2.IMREAD_UNCHANGED)
    assert read.dtype == np.float32 and read.shape == (30, 40)
    assert np.array_equal(read, depth_map["depth"], equal_nan=True)


def test_other_suffixes_and_missing_layers_are_refused(depth_map, tmp_path) -> None:
    with pytest.raises(NodeError, match="should end in .npy or .tiff"):
        export_depth(depth_map, path=str(tmp_path / "depth.png"))
    two = Field({"height": np.ones((2, 2), np.float32), "speed": np.ones((2, 2), np.float32)})
    with pytest.raises(NodeError, match="no 'depth' layer"):
        export_depth(two, path=str(tmp_path / "depth.npy"))
    assert not any(tmp_path.iterdir())
