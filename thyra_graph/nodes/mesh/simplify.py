"""mesh.simplify: fewer triangles, same shape (quadric error decimation, Open3D)."""

from __future__ import annotations

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.pointcloud.open3d_convert import from_open3d_mesh, to_open3d_mesh
from thyra_graph.types import Mesh


@node(
    "mesh.simplify", title="Simplify mesh", category="mesh", requires=("open3d",),
    inputs=[Input("mesh", Mesh, help="the mesh to simplify")],
    params=[Param("triangles", 100000, min=4, max=100_000_000, help="the number of triangles to reduce to (a mesh already this small is kept as is)")],
    outputs=[Output("mesh", Mesh, help="the simplified mesh (colours carried over)")],
)
def simplify(mesh: Mesh, *, triangles: int) -> Mesh:
    """Reduce a mesh to a target triangle count by quadric error decimation.

    Example: ``{type: mesh.simplify, inputs: {mesh: poisson.mesh}, params: {triangles: 20000}}``
    """
    if len(mesh.faces) == 0:
        raise NodeError("mesh.simplify: the mesh has no triangles; check the node that made it")
    if len(mesh.faces) <= triangles:
        return mesh
    return from_open3d_mesh(to_open3d_mesh(mesh).simplify_quadric_decimation(target_number_of_triangles=triangles))
