"""Redraw rate of the editor's 3D preview (thyra_graph.render3d, the NumPy software renderer).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/preview3d_speed.py [--quick]

Scenes: a 200,000-point coloured cloud (a noisy sphere shell), a 100,352-triangle mesh (a
225 × 225 height field with vertex colours) and the cloud with a ring of 40 camera frusta.
Each frame is a new view: the camera turns 6° between frames, as during a mouse drag.

- "drag": what OrbitView draws while the mouse moves (DRAG_POINTS points, a mesh above
  DRAG_FACES faces as shaded vertices);
- "full": the full-detail frame drawn when the button is released;
- "widget": OrbitView.repaint() while dragging, Qt's conversion and painting included.

Target (issue 14, previews): a drag redraws at ≥ 15 frames per second at 640 × 480 on the
2-core CPU. The full frames are reported (they are drawn once, on release).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from measure import Report, format_seconds, timed  # noqa: E402

from thyra_graph.render3d import OrbitCamera, render, scene_of  # noqa: E402
from thyra_graph.types import Cameras, Mesh, PointCloud  # noqa: E402

SIZE = (640, 480)
TARGET_FPS = 15.0


def sphere_cloud(n: int = 200_000) -> PointCloud:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(n, 3))
    points *= (1 + 0.02 * rng.normal(size=(n, 1))) / np.linalg.norm(points, axis=1, keepdims=True)
    colours = ((points * 0.5 + 0.5) * 255).clip(0, 255).astype(np.uint8)
    return PointCloud(points.astype(np.float32), colors=colours)


def terrain(side: int = 225) -> Mesh:
    y, x = np.mgrid[0:side, 0:side] / (side - 1) * 2 - 1
    height = 0.15 * np.sin(4 * x) * np.cos(3 * y)
    vertices = np.stack([x, -height, y], axis=-1).reshape(-1, 3)
    index = np.arange(side * side).reshape(side, side)
    a, b, c, d = index[:-1, :-1], index[:-1, 1:], index[1:, :-1], index[1:, 1:]
    faces = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)])
    colours = np.stack([120 + 400 * height, 160 + 200 * height, 90 + 0 * height], -1).reshape(-1, 3)
    return Mesh(vertices, faces, colours.clip(0, 255).astype(np.uint8))


def camera_ring(n: int = 40) -> Cameras:
    K = np.array([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]])
    extrinsics = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        centre = np.array([3 * math.sin(angle), -0.5, -3 * math.cos(angle)])
        forward = -centre / np.linalg.norm(centre)
        right = np.cross([0.0, 1.0, 0.0], forward)
        right /= np.linalg.norm(right)
        rotation = np.stack([right, np.cross(forward, right), forward])
        extrinsics.append(np.hstack([rotation, (-rotation @ centre)[:, None]]))
    return Cameras(np.tile(K, (n, 1, 1)), np.array(extrinsics), (640, 480), [f"view{i:02d}" for i in range(n)])


def frame_rate(scene, *, quick: bool, frames: int) -> float:
    """Seconds per frame, each frame 6° further round than the last."""
    from thyra_graph.editor import orbit_view

    camera = OrbitCamera.fitted(scene)
    limits = {"max_points": orbit_view.DRAG_POINTS, "max_faces": orbit_view.DRAG_FACES} if quick else {}

    def sweep(_):
        for _ in range(frames):
            camera.rotate(400 / 30, 0)  # 6° per frame
            render(scene, camera, SIZE, **limits)

    return timed(sweep, repeat=3, warmup=1).median / frames


def widget_rate(scene, frames: int) -> float:
    from PySide6 import QtWidgets

    from thyra_graph.editor.orbit_view import OrbitView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    view = OrbitView()
    view.resize(*SIZE)
    view.show()
    view.set_scene(scene)
    app.processEvents()
    view._mode = "orbit"  # as between a press and a release

    def sweep(_):
        for _ in range(frames):
            view.camera.rotate(400 / 30, 0)
            view._redraw()
            view.repaint()

    seconds = timed(sweep, repeat=3, warmup=1).median / frames
    view.close()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames (smoke run)")
    args = parser.parse_args(argv)
    frames = 5 if args.quick else 20
    cloud, mesh = sphere_cloud(), terrain()
    scenes = {
        f"PointCloud, {len(cloud):,} points": scene_of(cloud),
        f"Mesh, {len(mesh.faces):,} triangles": scene_of(mesh),
        f"PointCloud + {40} camera frusta": scene_of(cloud, camera_ring()),
    }
    report = Report(f"3D preview redraws at {SIZE[0]} × {SIZE[1]} (median of 3 sweeps of {frames} views)",
                    ["scene", "mode", "per frame", "frames/s", "target"])
    for label, scene in scenes.items():
        for mode in ("drag", "full", "widget"):
            seconds = widget_rate(scene, frames) if mode == "widget" else frame_rate(scene, quick=mode == "drag", frames=frames)
            fps = 1 / seconds
            verdict = report.target(f"{label} {mode} ≥ {TARGET_FPS:.0f} fps", fps >= TARGET_FPS) if mode != "full" else "(report)"
            report.row(label, mode, format_seconds(seconds), f"{fps:.1f}", verdict)
    report.print()
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
