"""Smoothing filters."""

from __future__ import annotations

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.types import Image


@node(
    "image.blur", category="image",
    inputs=[Input("image", Image)],
    params=[Param("sigma", 2.0, min=0.1, max=100, step=0.5, help="Gaussian standard deviation in pixels")],
    outputs=[Output("image", Image, help="the smoothed image, same size and type")],
)
def blur(image: Image, *, sigma: float) -> Image:
    """Smooth an image with a Gaussian, to quiet noise and texture before thresholding.

    Example: ``{type: image.blur, inputs: {image: gray.image}, params: {sigma: 2}}``
    """
    import cv2

    # ksize (0, 0): OpenCV derives the kernel size from sigma (about 6 sigma wide).
    data = cv2.GaussianBlur(image.data, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101)
    return Image(data.reshape(image.data.shape), dict(image.meta))
