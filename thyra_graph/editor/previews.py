"""What the preview panel shows for a value, chosen by its port type.

Each renderer turns a port value into a :class:`Preview`: an RGB picture (with a caption),
a table, text, or a 3D scene (point clouds, meshes, cameras) for the panel's orbit view.
Built-in types are drawn by the renderers below (``@renders``); a plugin's own types by the
preview functions it registered (``THYRA_PREVIEWS``, in ``registry.previews``), which
:func:`render` is given. Pictures are plain NumPy arrays, so this module needs no Qt and is
tested directly. Video and frame series previews decode one frame when asked
(:attr:`Preview.frame`), never the whole clip.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from thyra_graph.engine.results import json_friendly
from thyra_graph.types import PortType

IMAGE, TABLE, TEXT, SCENE = "image", "table", "text", "scene"
MAX_TABLE_ROWS = 500


@dataclass
class Preview:
    kind: str
    image: np.ndarray | None = None           # H×W×3 uint8 for IMAGE
    caption: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    text: str = ""
    frame_count: int = 0                        # > 0: a slider picks the frame
    frame: Callable[[int], "Preview"] | None = None
    playable: bool = False                      # a play button steps through the frames
    scene: Any = None                           # a render3d.Scene for SCENE (shown in 3D)


@dataclass
class Background:
    """The picture a mask, points or boxes are drawn over (the node's input image)."""

    image: np.ndarray | None = None
    points: list[list[float]] = field(default_factory=list)  # prompt clicks to draw


Renderer = Callable[[PortType, Background], Preview]
_RENDERERS: dict[str, Renderer] = {}


def renders(*type_names: str) -> Callable[[Renderer], Renderer]:
    def register(func: Renderer) -> Renderer:
        for name in type_names:
            _RENDERERS[name] = func
        return func

    return register


def renderer_for(type_name: str, plugin_previews: Mapping[str, Callable[[PortType], Any]] | None = None) -> Renderer:
    """How values of ``type_name`` are previewed: a built-in renderer, a plugin's preview, or text."""
    if type_name in _RENDERERS:
        return _RENDERERS[type_name]
    if plugin_previews and type_name in plugin_previews:
        return _plugin_renderer(plugin_previews[type_name])
    return render_text


def render(value: PortType, background: Background | None = None, *,
           plugin_previews: Mapping[str, Callable[[PortType], Any]] | None = None) -> Preview:
    """The preview of ``value``; types without a picture show their summary as text.

    ``plugin_previews`` are the registry's previews of plugin types (``registry.previews``).
    """
    background = background or Background()
    renderer = renderer_for(value.type_name, plugin_previews)
    try:
        preview = renderer(value, background)
    except Exception as exc:  # a preview must never take the window down
        return Preview(TEXT, text=f"cannot preview this {value.type_name}: {type(exc).__name__}: {exc}")
    if preview.kind == IMAGE and background.points:
        preview.image = draw_points(preview.image, background.points)
    return preview


def _plugin_renderer(preview: Callable[[PortType], Any]) -> Renderer:
    """Adapt a plugin's ``value -> (RGB image, caption)`` to a renderer, checking what it returns."""

    def render_plugin(value: PortType, background: Background) -> Preview:
        result = preview(value)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"the plugin's preview returned {type(result).__name__}, not (RGB image, caption)")
        image, caption = result
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise TypeError(f"the plugin's preview must return an H×W×3 uint8 RGB image, got shape "
                            f"{image.shape} {image.dtype}")
        return Preview(IMAGE, image=image, caption=str(caption))

    return render_plugin


def render_text(value: PortType, background: Background) -> Preview:
    try:
        summary = json_friendly(value.summary())
    except Exception as exc:
        summary = f"(no summary: {exc})"
    text = summary if isinstance(summary, str) else json.dumps(summary, indent=2)
    return Preview(TEXT, text=f"{value.type_name}\n\n{text}", caption=value.type_name)


# -- pictures -------------------------------------------------------------------------------
def _rgb(image: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """The background as H×W×3 uint8 of ``shape``, or a dark canvas when there is none."""
    if image is not None and image.shape[:2] == shape:
        return image.copy()
    return np.full((*shape, 3), 32, np.uint8)


def _palette(n: int) -> np.ndarray:
    """n well-separated colours (golden-angle hues)."""
    import cv2

    hues = ((np.arange(n) * 137.508) % 180).astype(np.uint8)
    hsv = np.stack([hues, np.full(n, 200, np.uint8), np.full(n, 255, np.uint8)], axis=1)[None]
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]


@renders("Image")
def render_image(value, background: Background) -> Preview:
    rgb = value.as_uint8_rgb()
    return Preview(IMAGE, image=rgb, caption=f"Image {value.width}×{value.height} {value.data.dtype}")


@renders("Mask")
def render_mask(value, background: Background) -> Preview:
    mask = np.asarray(value.data, bool)
    rgb = _rgb(background.image, mask.shape)
    if background.image is None or background.image.shape[:2] != mask.shape:
        rgb[mask] = (240, 240, 240)
    else:
        rgb[mask] = (0.45 * rgb[mask] + 0.55 * np.array([255, 80, 80])).astype(np.uint8)
    share = mask.mean() * 100 if mask.size else 0.0
    return Preview(IMAGE, image=rgb, caption=f"Mask {mask.shape[1]}×{mask.shape[0]}: {share:.1f}% foreground")


@renders("Instances")
def render_instances(value, background: Background) -> Preview:
    import cv2

    height, width = value.shape
    rgb = _rgb(background.image, (height, width))
    colours = _palette(len(value))
    for i in range(len(value)):
        mask = value.masks[i]
        rgb[mask] = (0.5 * rgb[mask] + 0.5 * colours[i]).astype(np.uint8)
    boxes = value.boxes().xyxy if len(value) else np.zeros((0, 4))
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        colour = tuple(int(c) for c in colours[i])
        cv2.rectangle(rgb, (int(x0), int(y0)), (int(x1), int(y1)), colour, 1)
        label = value.labels[i] if i < len(value.labels) and value.labels[i] else str(i + 1)
        cv2.putText(rgb, label, (int(x0) + 2, int(y0) + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return Preview(IMAGE, image=rgb, caption=f"Instances: {len(value)} objects")


def _canvas(background: Background, extent: tuple[int, int] | None) -> np.ndarray:
    """A copy of the background image to draw on, or a dark canvas ``extent`` (width, height)
    large (100 × 100 when there is nothing to fit)."""
    if background.image is not None:
        return background.image.copy()
    width, height = extent or (100, 100)
    return np.full((height, width, 3), 32, np.uint8)


@renders("Boxes")
def render_boxes(value, background: Background) -> Preview:
    import cv2

    xyxy = np.asarray(value.xyxy, float)
    extent = (int(np.ceil(xyxy[:, 2].max())) + 10, int(np.ceil(xyxy[:, 3].max())) + 10) if len(xyxy) else None
    rgb = _canvas(background, extent)
    colours = _palette(len(xyxy))
    for i, (x0, y0, x1, y1) in enumerate(xyxy):
        cv2.rectangle(rgb, (int(x0), int(y0)), (int(x1), int(y1)), tuple(int(c) for c in colours[i]), 2)
    return Preview(IMAGE, image=rgb, caption=f"Boxes: {len(xyxy)}")


@renders("DensityMap")
def render_density(value, background: Background) -> Preview:
    import cv2

    data = np.asarray(value.data, np.float32)
    top = float(data.max()) if data.size else 0.0
    scaled = (np.clip(data / top, 0, 1) * 255).astype(np.uint8) if top > 0 else np.zeros(data.shape, np.uint8)
    heat = cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)
    if background.image is not None and background.image.shape[:2] == data.shape:
        heat = (0.4 * background.image + 0.6 * heat).astype(np.uint8)
    return Preview(IMAGE, image=heat, caption=f"Density map: count {value.count:.1f}")


@renders("Points")
def render_points(value, background: Background) -> Preview:
    xy = np.asarray(value.xy, float)
    rgb = _canvas(background, (int(xy[:, 0].max()) + 20, int(xy[:, 1].max()) + 20) if len(xy) else None)
    labelled = [[x, y, int(label)] for (x, y), label in zip(xy, value.labels)]
    return Preview(IMAGE, image=draw_points(rgb, labelled), caption=f"Points: {len(xy)} ({int((value.labels == 1).sum())} positive)")


def draw_points(image: np.ndarray, points: list[list[float]]) -> np.ndarray:
    """Prompt points drawn as discs: green positive, red negative, with a dark rim."""
    import cv2

    out = np.ascontiguousarray(image.copy())
    radius = max(3, round(min(out.shape[:2]) / 90))
    for point in points:
        centre = (int(round(point[0])), int(round(point[1])))
        colour = (60, 220, 90) if (len(point) < 3 or point[2] == 1) else (230, 60, 60)
        cv2.circle(out, centre, radius + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(out, centre, radius, colour, -1, cv2.LINE_AA)
    return out


@renders("Video")
def render_video(value, background: Background) -> Preview:
    count = len(value)

    def frame(index: int) -> Preview:
        rgb = value.read(index)
        source = value.indices[index]
        return Preview(IMAGE, image=rgb, caption=f"Video frame {index + 1}/{count} (source frame {source}, t = {value.time_of(source):.2f} s)")

    if count == 0:
        return Preview(TEXT, text="Video with no frames in this range")
    first = frame(0)
    first.frame_count, first.frame = count, frame
    return first


@renders("FrameSeries")
def render_series(value, background: Background) -> Preview:
    count = len(value)

    def frame(index: int) -> Preview:
        item = value.items[index]
        preview = render(item, background)
        preview.caption = f"frame {int(value.frames[index])} (t = {float(value.times[index]):.2f} s): {preview.caption}"
        return preview

    if count == 0:
        return Preview(TEXT, text="FrameSeries with no frames")
    first = frame(0)
    first.frame_count, first.frame = count, frame
    return first


@renders("Table")
def render_table(value, background: Background) -> Preview:
    columns = value.names
    rows = []
    for i, row in enumerate(value.rows()):
        if i >= MAX_TABLE_ROWS:
            break
        rows.append([row[c] for c in columns])
    more = f" (first {MAX_TABLE_ROWS} shown)" if len(value) > MAX_TABLE_ROWS else ""
    return Preview(TABLE, columns=columns, rows=rows, caption=f"Table: {len(value)} rows × {len(columns)} columns{more}")


@renders("Text")
def render_plain_text(value, background: Background) -> Preview:
    return Preview(TEXT, text=value.text, caption="Text")


@renders("Number")
def render_number(value, background: Background) -> Preview:
    unit = f" {value.unit}" if value.unit else ""
    return Preview(TEXT, text=f"{value.value}{unit}", caption="Number")


def _colour_mapped(layer: np.ndarray, low: float, high: float) -> np.ndarray:
    import cv2

    if high <= low:
        scaled = np.zeros(layer.shape, np.uint8)
    else:
        scaled = (np.clip((layer - low) / (high - low), 0.0, 1.0) * 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)


@renders("Field")
def render_field(value, background: Background) -> Preview:
    name = value.names[0]
    layer = np.asarray(value[name], np.float32)
    low, high = float(np.nanmin(layer)), float(np.nanmax(layer))
    rgb = _colour_mapped(layer, low, high)
    return Preview(IMAGE, image=rgb, caption=f"Field layer {name!r} at t = {value.t:.3g} s: {low:.3g} … {high:.3g}")


@renders("FieldSequence")
def render_field_sequence(value, background: Background) -> Preview:
    """An animation: the slider (or Play) picks a snapshot, read from its chunk when shown.

    Only the shown snapshot's layer is kept. The colour range widens to every value seen so
    far and never narrows, so an animation does not flicker as each frame rescales.
    """
    count = len(value)
    name = value.names[0]
    seen = [math.inf, -math.inf]

    def frame(index: int) -> Preview:
        snapshot = value.at(index, [name])
        layer = np.asarray(snapshot[name], np.float32)
        low, high = float(np.nanmin(layer)), float(np.nanmax(layer))
        seen[0], seen[1] = min(seen[0], low), max(seen[1], high)
        return Preview(IMAGE, image=_colour_mapped(layer, seen[0], seen[1]),
                       caption=f"FieldSequence layer {name!r}, snapshot {index + 1}/{count} "
                               f"(t = {snapshot.t:.3g} s): {low:.3g} … {high:.3g}, colours {seen[0]:.3g} … {seen[1]:.3g}")

    if count == 0:
        return Preview(TEXT, text="FieldSequence with no snapshots")
    first = frame(0)
    first.frame_count, first.frame, first.playable = count, frame, count > 1
    return first


@renders("PointCloud", "Mesh", "Cameras")
def render_geometry(value, background: Background) -> Preview:
    """An interactive orbit view (the panel's OrbitView draws :attr:`Preview.scene`)."""
    from thyra_graph.render3d import scene_of

    scene = scene_of(value)
    return Preview(SCENE, scene=scene, caption=f"{value.type_name}: {scene.caption}")


def background_source(graph, node_id: str) -> str | None:
    """The image a node's masks, points or boxes are best drawn over, as "node.output".

    The node's own Image input when it has one (so prompt clicks land in its pixels);
    otherwise the image at the start of its chain (the loaded picture, in colour), found
    by walking up its inputs.
    """
    from thyra_graph.types import Image

    spec = graph.spec(node_id)
    node = graph.nodes[node_id]
    for inp in spec.inputs:
        if inp.type is Image and inp.name in node.inputs:
            src, out = node.inputs[inp.name]
            return f"{src}.{out}"
    if any(o.type is Image for o in spec.outputs):
        return None  # it shows its own image
    found: str | None = None
    seen = {node_id}
    frontier = [node_id]
    while frontier:
        current = frontier.pop(0)
        for src, out in graph.nodes[current].inputs.values():
            if src in seen:
                continue
            seen.add(src)
            if graph.spec(src).output(out).type is Image:
                found = f"{src}.{out}"  # keep walking: the farthest image is the original
            frontier.append(src)
    return found
