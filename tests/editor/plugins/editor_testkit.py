"""Nodes for the editor tests: a promptable node (an image and point clicks in, a mask of
discs around the positive points out) and a point-cloud source for the 3D preview."""

from __future__ import annotations

import numpy as np

from thyra_graph import Input, Output, Param, node
from thyra_graph.types import Image, Mask, PointCloud


@node("editortest.click_mask", inputs=[Input("image", Image)],
      params=[Param("points", [], kind="points", help="clicks: positive grow the mask, negative cut it"),
              Param("radius", 20, min=1, max=500, help="disc radius in pixels")],
      outputs=[Output("mask", Mask)])
def click_mask(image, *, points, radius):
    """Mark discs around positive clicks, minus discs around negative clicks."""
    height, width = image.data.shape[:2]
    yy, xx = np.mgrid[:height, :width]
    mask = np.zeros((height, width), bool)
    for x, y, label in points:
        disc = (xx - x) ** 2 + (yy - y) ** 2 <= radius ** 2
        mask = mask | disc if label == 1 else mask & ~disc
    return mask


@node("editortest.sphere_cloud", params=[Param("count", 2000, min=10, max=100_000, help="points on the sphere")],
      outputs=[Output("cloud", PointCloud)])
def sphere_cloud(*, count):
    """Points on a unit sphere, for the 3D preview (there is no reconstruction node here)."""
    rng = np.random.default_rng(0)
    points = rng.normal(size=(count, 3))
    return PointCloud((points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32))
