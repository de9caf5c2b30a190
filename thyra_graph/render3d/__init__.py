"""Software 3D rendering in NumPy: point clouds, meshes and camera frusta seen by an orbit camera.

No Qt, no OpenGL, no Vulkan: the editor's orbit view and the ``report.render_3d`` node draw
with the same code, so a report shows exactly what the editor shows. Everything drawn becomes
fragments (pixel, depth, colour) and a z-buffer keeps the nearest fragment of each pixel
(``np.minimum.at``, no per-pixel loop). World coordinates follow OpenCV (x right, y down,
z forward), as :class:`~thyra_graph.types.Cameras` does, so "up" on screen is world −y.

- :mod:`.scene`: what to draw (:class:`Scene`), built from PointCloud / Mesh / Cameras values;
- :mod:`.orbit`: where it is seen from (:class:`OrbitCamera`: turn, pan, zoom);
- :mod:`.raster`: the picture (:func:`render`, :func:`snapshot`).

Example::

    scene = scene_of(cloud, cameras)
    rgb = render(scene, OrbitCamera.fitted(scene), (640, 480))
"""

from .orbit import DEFAULT_PITCH, DEFAULT_YAW, OrbitCamera
from .raster import BACKGROUND, render, snapshot
from .scene import Scene, frustum_lines, frustum_scale, height_colours, scene_of, vertex_normals

__all__ = ["BACKGROUND", "DEFAULT_PITCH", "DEFAULT_YAW", "OrbitCamera", "Scene", "frustum_lines", "frustum_scale",
           "height_colours", "render", "scene_of", "snapshot", "vertex_normals"]
