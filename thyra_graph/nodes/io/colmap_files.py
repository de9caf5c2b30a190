"""io.load_colmap: a COLMAP sparse model folder (text or binary) as Cameras and a PointCloud."""

from __future__ import annotations

from pathlib import Path as FsPath

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.types import Cameras, PointCloud

# The files a model consists of; nothing else in the folder is read.
MODEL_FILES = ("cameras", "images", "points3D", "rigs", "frames")
# A sparse model of a few thousand photos is well under this; more is not a COLMAP model.
MAX_BYTES = 2 * 1024 ** 3


@node(
    "io.load_colmap", title="Load COLMAP", category="io",
    params=[Param("path", "sparse/0", kind="path", io="read",
                  help="a COLMAP model folder: cameras, images and points3D as .txt or .bin")],
    outputs=[
        Output("cameras", Cameras, help="the registered images' cameras (world-to-camera, OpenCV axes), names = image names"),
        Output("points", PointCloud, help="the model's 3D points with colours, in the model's units"),
    ],
)
def load_colmap(*, path: str, ctx) -> dict:
    """Read a COLMAP sparse model (from COLMAP, pycolmap, Metashape's or RealityCapture's
    COLMAP export, or export.colmap) as Cameras and a coloured PointCloud.

    Example: ``{type: io.load_colmap, params: {path: project/sparse/0}}``
    """
    import pycolmap

    from thyra_graph.nodes.recon.colmap_model import to_thyra

    folder = FsPath(path)
    if not folder.is_dir():
        raise NodeError(f"param path: {path} is not a folder; give the COLMAP model folder that holds "
                        "cameras.txt/images.txt/points3D.txt (or the .bin files), e.g. sparse/0")
    kinds = [suffix for suffix in (".bin", ".txt")
             if all((folder / f"{name}{suffix}").is_file() for name in ("cameras", "images", "points3D"))]
    if not kinds:
        raise NodeError(f"param path: {path} holds no COLMAP model: cameras, images and points3D must all be there "
                        "as .txt or all as .bin")
    for name in MODEL_FILES:
        file = folder / f"{name}{kinds[0]}"
        if file.is_symlink():
            raise NodeError(f"param path: {file} is a link; a model is read only from files inside its folder")
        if file.is_file() and file.stat().st_size > MAX_BYTES:
            raise NodeError(f"param path: {file} is {file.stat().st_size / 1024 ** 3:.1f} GB, more than a sparse model "
                            f"holds ({MAX_BYTES / 1024 ** 3:.0f} GB at most); is it the right folder?")
    reconstruction = pycolmap.Reconstruction()
    try:
        if kinds[0] == ".bin":
            reconstruction.read_binary(str(folder))
        else:
            reconstruction.read_text(str(folder))
    except Exception as exc:  # pycolmap raises plain RuntimeError/ValueError on bad files
        raise NodeError(f"param path: cannot read the COLMAP model in {path}: {exc}") from None
    if not reconstruction.num_reg_images():
        raise NodeError(f"param path: the COLMAP model in {path} has no registered images")
    try:
        cameras, points, dropped = to_thyra(reconstruction)
    except ValueError as exc:
        raise NodeError(f"param path: {exc}; Cameras hold one pinhole camera size for all views") from None
    if dropped:
        ctx.warn(f"camera model {', '.join(dropped)} has lens distortion that Cameras cannot hold; it was dropped "
                 "(undistort the images with COLMAP's image_undistorter for exact geometry)")
    return {"cameras": cameras, "points": points}
