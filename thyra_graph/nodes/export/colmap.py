"""export.colmap: cameras and points as a COLMAP text model (cameras.txt, images.txt,
points3D.txt, plus rigs.txt and frames.txt that COLMAP 3.12+ and pycolmap 4 also write).

COLMAP, its GUI (File → Import model), pycolmap, Nerfstudio and Gaussian-splatting trainers
read this folder; image names are the Cameras' names, so put the photos beside it under the
same names. Points carry no observations (which pixels saw them): Thyra clouds do not
record them, and COLMAP accepts points with empty tracks.
"""

from __future__ import annotations

from pathlib import Path as FsPath

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import Cameras, Files, PointCloud


@node(
    "export.colmap", title="Save COLMAP", category="export",
    inputs=[
        Input("cameras", Cameras, help="the cameras to write (names become the image names)"),
        Input("points", PointCloud, required=False, help="3D points to write as points3D.txt (optional)"),
    ],
    params=[
        Param("path", "out/colmap", kind="path", io="write", help="folder that receives cameras.txt, images.txt, points3D.txt"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Files, help="the folder, and every file written")],
)
def colmap(cameras: Cameras, points: PointCloud | None = None, *, path: str, overwrite: bool, ctx) -> Files:
    """Write a COLMAP text model (PINHOLE cameras, world-to-camera poses, coloured points).

    Example: ``{type: export.colmap, inputs: {cameras: sfm.cameras, points: sfm.points},
    params: {path: out/sparse/0}}``
    """
    from thyra_graph.nodes.recon.colmap_model import from_thyra

    if not len(cameras):
        raise NodeError("export.colmap: input cameras is empty; there is nothing to write")
    names = cameras.names or [f"image_{i:06d}.png" for i in range(len(cameras))]
    if len(set(names)) != len(names):
        raise NodeError("export.colmap: two cameras share a name; COLMAP finds each image by its name, so names must be unique")
    bad = [n for n in names if not n.strip() or "\n" in n or n.startswith((" ", "/")) or ".." in FsPath(n).parts]
    if bad:
        raise NodeError(f"export.colmap: camera name {bad[0]!r} cannot be an image name in a COLMAP model "
                        "(empty, a line break, leading space or slash, or '..'); rename the views")
    reconstruction = from_thyra(cameras, points)
    scratch = ctx.scratch_dir / "model"
    scratch.mkdir(parents=True, exist_ok=True)
    reconstruction.write_text(str(scratch))
    files = sorted(p for p in scratch.iterdir() if p.is_file())
    folder = FsPath(path)
    out = OutputFiles(folder, overwrite=overwrite, what="COLMAP model file")
    out.claim([folder / f.name for f in files])
    for file in files:
        out.write_bytes(folder / file.name, file.read_bytes())
    return Files(str(folder), out.commit())
