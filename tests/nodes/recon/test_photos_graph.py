"""graphs/photos_to_mesh.yaml end to end: the mesh and COLMAP model it writes match the
rendered scene the sample views were made from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graphfile import load_graph_file
from thyra_graph.nodes.recon.synthetic_scene import render_scene

GRAPH = Path(__file__).resolve().parents[3] / "graphs" / "photos_to_mesh.yaml"
pycolmap = pytest.importorskip("pycolmap")
trimesh = pytest.importorskip("trimesh")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos_graph")
    loaded = load_graph_file(GRAPH, default_registry())
    assert loaded.ok, loaded.diagnostics
    graph = loaded.graph
    files = {}
    for node_id in ("glb", "ply", "colmap"):
        files[node_id] = folder / node_id / Path(graph.params(node_id)["path"]).name
        graph.set_param(node_id, "path", str(files[node_id]))
    result = Executor(disk=DiskCache(folder / "cache")).run(graph)
    assert result.status == "ok", {n: r.error for n, r in result.nodes.items() if r.error}
    return files


def test_the_colmap_model_has_every_view_at_its_true_place(written):
    from skimage.transform import SimilarityTransform

    model = pycolmap.Reconstruction(str(written["colmap"]))
    names = sorted(model.images[i].name for i in model.reg_image_ids())
    assert names == [f"view_{i:03d}.jpg" for i in range(6)]
    # The samples are render_scene(6, (480, 360), seed=0, arc_degrees=50) saved as JPEG.
    truth = render_scene(6, (480, 360), seed=0, arc_degrees=50.0).cameras.centers()
    centres = np.array([model.find_image_with_name(n).projection_center() for n in names])
    aligned = SimilarityTransform.from_estimate(centres, truth)(centres)
    track = np.linalg.norm(np.diff(truth, axis=0), axis=1).sum()
    assert np.linalg.norm(aligned - truth, axis=1).max() < 0.01 * track


def test_the_mesh_lies_on_the_scene_surfaces(written):
    from scipy.spatial import cKDTree
    from skimage.transform import SimilarityTransform

    mesh = trimesh.load(written["glb"], force="mesh")
    ply = trimesh.load(written["ply"], force="mesh", process=False)
    assert len(ply.vertices) == len(mesh.vertices) > 10000
    model = pycolmap.Reconstruction(str(written["colmap"]))
    scene = render_scene(6, (480, 360), seed=0, arc_degrees=50.0)
    names = scene.cameras.names
    centres = np.array([model.find_image_with_name(n.replace(".png", ".jpg")).projection_center() for n in names])
    transform = SimilarityTransform.from_estimate(centres, scene.cameras.centers())
    vertices = transform(np.asarray(ply.vertices, dtype=np.float64))
    surface = np.concatenate([scene.points(v).reshape(-1, 3)[::3] for v in range(6)])
    distance, _ = cKDTree(surface[np.isfinite(surface).all(axis=1)]).query(vertices)
    # Poisson smooths corners and closes small holes; most of the surface is on the truth.
    assert np.median(distance) < 0.01 * scene.size
