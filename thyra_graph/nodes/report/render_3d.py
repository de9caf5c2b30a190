"""report.render_3d: a picture of point clouds, meshes and camera frusta, as the editor's 3D
preview draws them (NumPy software rendering: no GPU, no OpenGL)."""

from __future__ import annotations

import math

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, Image, Mesh, PointCloud


@node(
    "report.render_3d", title="Render 3D", category="report",
    inputs=[
        Input("cloud", PointCloud, required=False, help="points to draw (their colours, or coloured by height)"),
        Input("mesh", Mesh, required=False, help="a mesh to draw, shaded (vertex colours if it has them)"),
        Input("cameras", Cameras, required=False, help="cameras to draw as frusta with their names"),
    ],
    params=[
        Param("width", 960, min=32, max=8192, help="picture width in pixels"),
        Param("height", 720, min=32, max=8192, help="picture height in pixels"),
        Param("yaw", -30.0, min=-180, max=180, step=5, help="turn of the view about the vertical axis, in degrees"),
        Param("pitch", -20.0, min=-89, max=89, step=5, help="tilt of the view in degrees (negative: from above)"),
        Param("zoom", 1.0, min=0.1, max=20, step=0.1, help="magnification of the fitted view (2 = twice as close)"),
    ],
    outputs=[Output("image", Image, help="an RGB uint8 picture of the scene")],
)
def render_3d(cloud: PointCloud | None = None, mesh: Mesh | None = None, cameras: Cameras | None = None, *,
              width: int, height: int, yaw: float, pitch: float, zoom: float) -> Image:
    """Draw point clouds, meshes and cameras in one picture, seen from an orbit camera.

    The view is aimed at the centre of everything drawn and fitted to it, then turned by
    ``yaw`` and ``pitch``: yaw 0, pitch 0 looks along the world's +z axis with world y pointing
    down, as the first camera of a reconstruction usually does. An axis gizmo in the corner
    shows x (red), y (green) and z (blue). Save the picture with io.save_image.

    Example: ``{type: report.render_3d, inputs: {cloud: fuse.cloud, cameras: sfm.cameras}, params: {yaw: 20}}``
    """
    from thyra_graph.render3d import OrbitCamera, render, scene_of

    if cloud is None and mesh is None and cameras is None:
        raise NodeError("report.render_3d has nothing to draw: connect a point cloud, a mesh or cameras")
    scene = scene_of(cloud, mesh, cameras)
    if scene.empty:
        raise NodeError(f"report.render_3d has nothing to draw: the inputs are empty ({scene.caption}); "
                        "check the filters upstream")
    camera = OrbitCamera.fitted(scene, yaw=math.radians(yaw), pitch=math.radians(pitch))
    camera.zoom(zoom)
    return Image(render(scene, camera, (int(width), int(height))))
