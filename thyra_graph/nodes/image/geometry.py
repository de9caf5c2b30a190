"""Changing an image's size."""

from __future__ import annotations

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image

INTERPOLATIONS = ("auto", "nearest", "linear", "cubic", "area", "lanczos")


@node(
    "image.resize", category="image",
    inputs=[Input("image", Image)],
    params=[
        Param("scale", 1.0, min=0.001, max=100, step=0.1, help="size factor, used when width and height are empty"),
        Param("width", None, kind="int", min=1, max=65536, help="new width in pixels; with height empty the aspect ratio is kept"),
        Param("height", None, kind="int", min=1, max=65536, help="new height in pixels; with width empty the aspect ratio is kept"),
        Param("interpolation", "auto", choices=INTERPOLATIONS, help="auto: area when shrinking, cubic when enlarging"),
    ],
    outputs=[Output("image", Image)],
)
def resize(image: Image, *, scale: float, width: int | None, height: int | None, interpolation: str) -> Image:
    """Resize an image by a factor, or to a width and/or height.

    Example: half size, ``{type: image.resize, inputs: {image: load.image}, params: {scale: 0.5}}``
    """
    import cv2

    new_width, new_height = target_size(image.width, image.height, scale=scale, width=width, height=height)
    if interpolation == "auto":
        interpolation = "area" if new_width * new_height < image.width * image.height else "cubic"
    flag = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
            "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}[interpolation]
    data = cv2.resize(image.data, (new_width, new_height), interpolation=flag)
    if image.data.ndim == 3 and data.ndim == 2:  # OpenCV drops a single channel axis
        data = data[:, :, None]
    return Image(data, {**image.meta, "resized_from": [image.width, image.height]})


def target_size(old_width: int, old_height: int, *, scale: float, width: int | None, height: int | None) -> tuple[int, int]:
    """The (width, height) asked for: explicit sizes win over ``scale``; one side keeps the ratio."""
    if width is None and height is None:
        new_width, new_height = round(old_width * scale), round(old_height * scale)
    elif height is None:
        new_width, new_height = width, round(old_height * width / old_width)
    elif width is None:
        new_width, new_height = round(old_width * height / old_height), height
    else:
        new_width, new_height = width, height
    if new_width < 1 or new_height < 1:
        raise NodeError(f"resizing {old_width}×{old_height} gives {new_width}×{new_height} pixels, an empty image: use a larger scale or size")
    return int(new_width), int(new_height)
