"""export.ply, export.obj, export.glb: point clouds and meshes as files Blender, MeshLab, COLMAP
and web viewers open.

PLY (binary, with colours and normals) is written by Open3D; OBJ and GLB by trimesh, whose GLB
both trimesh and Open3D read back (Open3D's own GLB does not).
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.nodes.pointcloud.open3d_convert import to_open3d_cloud, to_open3d_mesh
from thyra_graph.types import Mesh, Path, PointCloud

GEOMETRY_INPUTS = [
    Input("cloud", PointCloud, required=False, help="a point cloud to write (connect this or 'mesh')"),
    Input("mesh", Mesh, required=False, help="a mesh to write (connect this or 'cloud')"),
]


def _one_geometry(node: str, cloud: PointCloud | None, mesh: Mesh | None) -> PointCloud | Mesh:
    if (cloud is None) == (mesh is None):
        raise NodeError(f"{node}: connect exactly one of 'cloud' and 'mesh'")
    geometry = cloud if cloud is not None else mesh
    count = len(geometry.points) if cloud is not None else len(geometry.vertices)
    if count == 0:
        raise NodeError(f"{node}: the {'cloud' if cloud is not None else 'mesh'} is empty; nothing written. "
                        "Check the filters upstream")
    return geometry


def _target(node: str, path: str, suffix: str) -> FsPath:
    target = FsPath(path)
    if target.suffix.lower() != suffix:
        raise NodeError(f"{node}: the file {str(target)!r} should end in {suffix}, e.g. out/model{suffix}")
    return target


def _trimesh_geometry(geometry: PointCloud | Mesh) -> Any:
    import trimesh

    if isinstance(geometry, Mesh):
        return trimesh.Trimesh(geometry.vertices, geometry.faces, vertex_colors=geometry.vertex_colors, process=False)
    return trimesh.PointCloud(geometry.points, colors=geometry.colors)


def _write(node: str, target: FsPath, overwrite: bool, what: str, write) -> Path:
    out = OutputFiles(target, overwrite=overwrite, what=what)
    out.claim([target])
    with out.writing(target) as temporary:
        write(temporary)
    out.commit()
    return Path(str(target))


@node(
    "export.ply", title="Save PLY", category="export", requires=("open3d",),
    inputs=GEOMETRY_INPUTS,
    params=[
        Param("path", "out/model.ply", kind="path", io="write", help="the .ply file to write"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Path, help="the PLY file written")],
)
def ply(cloud: PointCloud | None = None, mesh: Mesh | None = None, *, path: str, overwrite: bool) -> Path:
    """Write a point cloud (colours, normals) or a mesh (vertex colours) as binary PLY.

    Example: ``{type: export.ply, inputs: {mesh: poisson.mesh}, params: {path: out/scene.ply}}``
    """
    import open3d as o3d

    geometry = _one_geometry("export.ply", cloud, mesh)
    target = _target("export.ply", path, ".ply")

    def write(temporary: FsPath) -> None:
        if isinstance(geometry, Mesh):
            ok = o3d.io.write_triangle_mesh(str(temporary), to_open3d_mesh(geometry), write_ascii=False)
        else:
            ok = o3d.io.write_point_cloud(str(temporary), to_open3d_cloud(geometry), write_ascii=False)
        if not ok:
            raise NodeError(f"export.ply: Open3D could not write {str(target)!r}; check the folder is writable")

    return _write("export.ply", target, overwrite, "PLY file", write)


@node(
    "export.obj", title="Save OBJ", category="export", requires=("trimesh",),
    inputs=[Input("mesh", Mesh, help="the mesh to write")],
    params=[
        Param("path", "out/model.obj", kind="path", io="write", help="the .obj file to write"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Path, help="the OBJ file written")],
)
def obj(mesh: Mesh, *, path: str, overwrite: bool) -> Path:
    """Write a mesh as Wavefront OBJ (vertex colours as the common 'v x y z r g b' extension).

    Example: ``{type: export.obj, inputs: {mesh: poisson.mesh}, params: {path: out/scene.obj}}``
    """
    geometry = _one_geometry("export.obj", None, mesh)
    target = _target("export.obj", path, ".obj")
    text = _trimesh_geometry(geometry).export(file_type="obj", include_normals=False)
    return _write("export.obj", target, overwrite, "OBJ file", lambda temporary: temporary.write_text(text, encoding="utf-8"))


@node(
    "export.glb", title="Save GLB", category="export", requires=("trimesh",),
    inputs=GEOMETRY_INPUTS,
    params=[
        Param("path", "out/model.glb", kind="path", io="write", help="the .glb (binary glTF) file to write"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Path, help="the GLB file written")],
)
def glb(cloud: PointCloud | None = None, mesh: Mesh | None = None, *, path: str, overwrite: bool) -> Path:
    """Write a mesh or a point cloud as binary glTF (GLB), for Blender and web viewers.

    Example: ``{type: export.glb, inputs: {mesh: poisson.mesh}, params: {path: out/scene.glb}}``
    """
    geometry = _one_geometry("export.glb", cloud, mesh)
    target = _target("export.glb", path, ".glb")
    data = _trimesh_geometry(geometry).export(file_type="glb")
    return _write("export.glb", target, overwrite, "GLB file", lambda temporary: temporary.write_bytes(data))
