"""report.text: a Markdown report of the regions found (and the same facts as JSON beside it):
per region its id, prompt point, box, area, label, description, score and source, and how
many regions each label has."""

from __future__ import annotations

import math
from pathlib import Path as FsPath
from typing import Any

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.image.pixels import require_same_size
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import Files, Image, Instances, Text

from .regions import Region, regions_of

MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
BOX_FORMAT = "[x0, y0, x1, y1] in pixels, x1 and y1 exclusive"
NO_LABEL = "(no label)"


@node(
    "report.text", title="Text report", category="report",
    inputs=[
        Input("instances", Instances, help="the regions to report, numbered in their order"),
        Input("image", Image, required=False, help="the image they were found in (its file name goes in the report)"),
    ],
    params=[
        Param("path", "out/report.md", kind="path", io="write", help="the Markdown file to write (.md)"),
        Param("json", True, help="also write the report as JSON beside it (report.md → report.json)"),
        Param("prefix", "D", help="text before each region's number: D gives D1, D2, … (as in report.annotated_image)"),
        Param("title", "", help="the report's heading (empty: 'Regions in <image file name>')"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[
        Output("text", Text, help="the Markdown report"),
        Output("path", Files, help="the Markdown file, and the JSON file when written"),
    ],
)
def text_report(instances: Instances, image: Image | None = None, *, path: str, json: bool, prefix: str, title: str,
                overwrite: bool) -> dict:
    """Write a Markdown report of the regions: a summary per label, a table, then each region.

    Each region gets its id (D1, D2, … as in report.annotated_image), the point it was
    prompted from (when the segmentation node recorded one), its box, its area in pixels and as
    a share of the image, its label, score, source and description. The JSON file holds the same
    facts for scripts.

    Example: ``{type: report.text, inputs: {instances: describe.instances, image: load.image},
    params: {path: out/regions.md}}``
    """
    target = FsPath(path)
    if target.suffix.lower() not in MARKDOWN_SUFFIXES:
        raise NodeError(f"the report {str(target)!r} should be a Markdown file ending in .md, e.g. out/report.md")
    if image is not None and len(instances):
        require_same_size(image, instances.masks, name="instances")
    report = build_report(instances, image, prefix=prefix, title=title)
    markdown = render_markdown(report)
    json_target = target.with_suffix(".json")
    out = OutputFiles(target, overwrite=overwrite, what="report")
    out.claim([target] + ([json_target] if json else []))
    out.write_bytes(target, markdown.encode("utf-8"))
    if json:
        out.write_json(json_target, report, indent=1)
    return {"text": Text(markdown), "path": Files(str(target), out.commit())}


def build_report(instances: Instances, image: Image | None = None, *, prefix: str = "D", title: str = "") -> dict[str, Any]:
    """The report as JSON-friendly data (what the JSON file holds and the Markdown shows)."""
    if image is not None:
        height, width = image.height, image.width
    else:
        height, width = instances.shape
    name = FsPath(str(image.meta.get("path", ""))).name if image is not None else ""
    total = height * width
    regions = [_region_record(region, total) for region in regions_of(instances, prefix=prefix)]
    return {
        "title": title or (f"Regions in {name}" if name else "Regions"),
        "image": {"name": name, "width": width, "height": height},
        "box_format": BOX_FORMAT,
        "summary": summarise(regions),
        "regions": regions,
    }


def _region_record(region: Region, total_pixels: int) -> dict[str, Any]:
    positive = [p for p in region.points if p[2] == 1]
    return {
        "id": region.id,
        "number": region.index + 1,
        "label": region.label or None,
        "description": region.description or None,
        "score": round(region.score, 4) if math.isfinite(region.score) else None,
        "source": region.source or None,
        "point": [_number(v) for v in positive[0][:2]] if positive else None,
        "points": [[_number(x), _number(y), label] for x, y, label in region.points],
        "box": list(region.box) if region.box is not None else None,
        "area_px": region.area,
        "area_percent": round(100.0 * region.area / total_pixels, 3) if total_pixels else 0.0,
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 2)


def summarise(regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Regions and area per label, most regions first (unlabelled regions under label None, last)."""
    groups: dict[str | None, dict[str, Any]] = {}
    for region in regions:
        group = groups.setdefault(region["label"], {"label": region["label"], "regions": 0, "area_px": 0, "area_percent": 0.0})
        group["regions"] += 1
        group["area_px"] += region["area_px"]
        group["area_percent"] = round(group["area_percent"] + region["area_percent"], 3)
    return sorted(groups.values(), key=lambda g: (g["label"] is None, -g["regions"], g["label"] or ""))


# -- Markdown ------------------------------------------------------------------------------------
def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: heading, summary per label, a table of regions, then each region."""
    image, regions = report["image"], report["regions"]
    lines = [f"# {_inline(report['title'])}", ""]
    about = f"{image['name']}: " if image["name"] else ""
    lines += [f"{about}{image['width']} × {image['height']} pixels, {_count(len(regions), 'region')}. "
              f"Boxes are {BOX_FORMAT}.", ""]
    if not regions:
        lines += ["No regions were found.", ""]
        return "\n".join(lines)
    lines += ["## Summary", "", "| label | regions | area (px) | area (% of image) |", "|---|---:|---:|---:|"]
    for group in report["summary"]:
        lines.append(f"| {_cell(group['label'] or NO_LABEL)} | {group['regions']} | {group['area_px']} | "
                     f"{group['area_percent']:.2f} |")
    lines += ["", "## Regions", "", "| id | label | score | area (px) | box | point |", "|---|---|---:|---:|---|---|"]
    for region in regions:
        lines.append(f"| {region['id']} | {_cell(region['label'] or '')} | {_score(region['score'])} | "
                     f"{region['area_px']} | {_box(region['box'])} | {_point(region['point'])} |")
    lines.append("")
    for region in regions:
        heading = region["id"] + (f": {_inline(region['label'])}" if region["label"] else "")
        lines += [f"### {heading}", ""]
        if region["source"]:
            lines.append(f"- Source: {_inline(region['source'])}")
        if region["point"] is not None:
            lines.append(f"- Point: {_point(region['point'])}")
        extra_points = [p for p in region["points"] if p[:2] != region["point"]]
        if extra_points:
            lines.append("- Other prompt points: " + ", ".join(
                f"{_point(p[:2])} {'positive' if p[2] == 1 else 'negative'}" for p in extra_points))
        lines.append(f"- Box: {_box(region['box'])}")
        lines.append(f"- Area: {region['area_px']} px ({region['area_percent']:.2f} % of the image)")
        lines.append(f"- Score: {_score(region['score'])}")
        if region["description"]:
            # Quoted, so Markdown in a model's answer (headings, lists) stays inside this region.
            lines += ["", *("> " + line if line.strip() else ">" for line in region["description"].splitlines())]
        lines.append("")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _inline(text: str) -> str:
    return " ".join(str(text).split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _score(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.3f}"


def _box(box: list[int] | None) -> str:
    return "(empty mask)" if box is None else "[" + ", ".join(str(v) for v in box) + "]"


def _point(point: list[float] | None) -> str:
    return "" if point is None else f"({point[0]}, {point[1]})"
