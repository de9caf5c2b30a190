"""count.save_points: the counted objects as a CSV or JSON file for spreadsheets and scripts."""

from __future__ import annotations

import csv
import json
from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.paths import atomic_write
from thyra_graph.types import Path, Points

FORMATS = (".csv", ".json")


def point_rows(points: Points) -> list[dict]:
    """One dict per point: x, y (pixels), radius (or None) and label (1 object, 0 negative)."""
    scales = points.scales if points.scales is not None else np.full(len(points), np.nan)
    rows = []
    for (x, y), radius, label in zip(points.xy.tolist(), scales.tolist(), points.labels.tolist()):
        rows.append({"x": round(x, 3), "y": round(y, 3),
                     "radius": round(radius, 3) if np.isfinite(radius) else None, "label": int(label)})
    return rows


@node(
    "count.save_points", category="count",
    inputs=[Input("points", Points, help="the objects to write (e.g. from count.blobs)")],
    params=[Param("path", "out/points.csv", kind="path", io="write",
                  help="where to write: .csv (x, y, radius, label rows) or .json (count and points)")],
    outputs=[Output("path", Path, help="the file written")],
)
def save_points(points: Points, *, path: str) -> Path:
    """Write counted objects to a CSV or JSON file; the suffix picks the format.

    CSV has a header ``x,y,radius,label`` and one row per object (radius empty when unknown);
    JSON is ``{"count": N, "points": [{"x": ..., "y": ..., "radius": ..., "label": 1}, ...]}``.

    Example: ``{type: count.save_points, inputs: {points: blobs.points}, params: {path: out/birds.json}}``
    """
    target = FsPath(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise NodeError(f"cannot tell which format to write for {str(target)!r}: end the path with .csv or .json")
    rows = point_rows(points)
    with atomic_write(target, what=suffix[1:].upper() + " file") as temporary:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            if suffix == ".csv":
                writer = csv.DictWriter(handle, fieldnames=["x", "y", "radius", "label"])
                writer.writeheader()
                writer.writerows({**row, "radius": "" if row["radius"] is None else row["radius"]} for row in rows)
            else:
                json.dump({"count": len(rows), "points": rows}, handle, indent=1)
                handle.write("\n")
    return Path(str(target))
