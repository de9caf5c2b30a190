"""DensityModel: a regression forest from pixel features to object density, as plain arrays.

A model learned from a user's dots (``count.learn_density``) is a value like any other: it is
cached on disk and may be sent to someone else, so it is stored as numbers only (never
pickle) and checked when read. The forest's trees are concatenated into flat node arrays,
as scikit-learn keeps one tree (``tree_.children_left`` ...), with child indices made global:

- ``left``/``right``: the children of each node, -1 for a leaf (both or neither);
- ``feature``/``threshold``: an inner node sends a pixel left when ``x[feature] <= threshold``;
- ``value``: a leaf's density; ``roots``: where each tree starts.

``validate`` refuses anything a hostile file could use to crash or hang the walk: a child
that does not lie after its parent inside the same tree (so every path ends), a feature
index outside the features the settings describe, non-finite numbers, absurd sizes.
``settings`` records how the features were computed, so applying the model computes exactly
those (see ``thyra_graph.nodes.count.pixel_features``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .base import PortType, check_array, check_json

#: Limits a stored model must stay within (a forest Thyra trains is far smaller).
MAX_NODES = 20_000_000
MAX_TREES = 4096
MAX_DEPTH = 128


@dataclass(eq=False)
class DensityModel(PortType):
    """A forest predicting each pixel's density from its features; the sum over an image is its count.

    ``settings`` holds ``features`` (the feature names in column order) and whatever else the
    feature code needs (scales, background width); ``meta`` holds provenance (dots, sigma).
    """

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    type_name: ClassVar[str] = "DensityModel"
    color: ClassVar[tuple[int, int, int]] = (200, 70, 140)
    doc: ClassVar[str] = "a model that turns an image into a density map (trained from dots)"

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_trees(cls, trees: list[dict[str, np.ndarray]], settings: dict[str, Any],
                   meta: dict[str, Any] | None = None) -> "DensityModel":
        """Concatenate trees given as local arrays (``children_left``, ``children_right``,
        ``feature``, ``threshold``, ``value``, as in scikit-learn's ``tree_``) into one model."""
        parts: dict[str, list[np.ndarray]] = {name: [] for name in ("left", "right", "feature", "threshold", "value")}
        roots, offset = [], 0
        for tree in trees:
            size = len(tree["children_left"])
            roots.append(offset)
            leaf = np.asarray(tree["children_left"]) < 0
            parts["left"].append(np.where(leaf, -1, np.asarray(tree["children_left"]) + offset))
            parts["right"].append(np.where(leaf, -1, np.asarray(tree["children_right"]) + offset))
            parts["feature"].append(np.where(leaf, 0, np.asarray(tree["feature"])))
            parts["threshold"].append(np.where(leaf, 0.0, np.asarray(tree["threshold"], np.float64)))
            parts["value"].append(np.asarray(tree["value"], np.float64).reshape(size))
            offset += size
        return cls(
            left=np.concatenate(parts["left"]).astype(np.int32), right=np.concatenate(parts["right"]).astype(np.int32),
            feature=np.concatenate(parts["feature"]).astype(np.int32),
            threshold=np.concatenate(parts["threshold"]).astype(np.float64),
            value=np.concatenate(parts["value"]).astype(np.float32), roots=np.asarray(roots, np.int64),
            settings=dict(settings), meta=dict(meta or {}))

    # -- the contract --------------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        features = self.settings.get("features")
        return len(features) if isinstance(features, list) else 0

    @property
    def n_trees(self) -> int:
        return int(len(self.roots))

    def validate(self) -> None:
        size = len(self.left) if isinstance(self.left, np.ndarray) else -1
        check_array(self.left, name="DensityModel.left", shape=("N",), dtype=np.int32)
        for name, dtype in (("right", np.int32), ("feature", np.int32), ("threshold", np.float64),
                            ("value", np.float32)):
            array = check_array(getattr(self, name), name=f"DensityModel.{name}", shape=("N",), dtype=dtype)
            if len(array) != size:
                raise ValueError(f"DensityModel.{name} has {len(array)} nodes but DensityModel.left has {size}")
        roots = check_array(self.roots, name="DensityModel.roots", shape=("T",), dtype=np.int64)
        check_json(self.settings, name="DensityModel.settings")
        check_json(self.meta, name="DensityModel.meta")
        features = self.settings.get("features")
        if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
            raise ValueError("DensityModel.settings['features'] must be the non-empty list of feature names "
                             "the forest was trained on")
        if not 0 < size <= MAX_NODES or not 0 < len(roots) <= MAX_TREES:
            raise ValueError(f"DensityModel holds {size} nodes in {len(roots)} trees: expected 1 to {MAX_NODES:,} "
                             f"nodes in 1 to {MAX_TREES} trees")
        if roots[0] != 0 or (np.diff(roots) <= 0).any() or roots[-1] >= size:
            raise ValueError("DensityModel.roots must start at 0 and increase strictly, each tree holding "
                             "at least one node")
        left, right = self.left.astype(np.int64), self.right.astype(np.int64)
        leaf = left < 0
        if ((right < 0) != leaf).any() or ((left < -1) | (right < -1)).any():
            raise ValueError("DensityModel: a node must have two children or none (-1 for both)")
        index = np.arange(size, dtype=np.int64)
        ends = np.append(roots[1:], size)[np.searchsorted(roots, index, side="right") - 1]
        inner = ~leaf
        # Children after their parent and inside its tree: every walk moves forward and ends.
        for children, side in ((left, "left"), (right, "right")):
            bad = inner & ((children <= index) | (children >= ends))
            if bad.any():
                node = int(np.flatnonzero(bad)[0])
                raise ValueError(f"DensityModel: node {node}'s {side} child {int(children[node])} does not lie "
                                 "after it within its own tree")
        if ((self.feature[inner] < 0) | (self.feature[inner] >= len(features))).any():
            raise ValueError(f"DensityModel: a node splits on a feature outside the {len(features)} the "
                             "settings list")
        if not np.isfinite(self.threshold).all() or not np.isfinite(self.value).all():
            raise ValueError("DensityModel: thresholds and leaf values must be finite numbers")
        depth = self.depth()
        if depth > MAX_DEPTH:
            raise ValueError(f"DensityModel: a tree is {depth} levels deep; at most {MAX_DEPTH} are allowed")

    def depth(self) -> int:
        """The deepest path in any tree (0: every tree is a single leaf)."""
        frontier, depth = np.asarray(self.roots, np.int64), 0
        while True:
            inner = frontier[self.left[frontier] >= 0]
            if not len(inner):
                return depth
            # Children lie after parents, so a frontier's indices grow every level and this stops.
            frontier = np.unique(np.concatenate([self.left[inner], self.right[inner]]).astype(np.int64))
            depth += 1
            if depth > MAX_DEPTH:
                return depth

    def nbytes(self) -> int:
        return int(sum(getattr(self, name).nbytes for name in ("left", "right", "feature", "threshold", "value",
                                                                "roots"))) + 256

    def to_record(self):
        arrays = {name: getattr(self, name) for name in ("left", "right", "feature", "threshold", "value", "roots")}
        return {"settings": self.settings, "meta": self.meta}, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(**{name: arrays[name] for name in ("left", "right", "feature", "threshold", "value", "roots")},
                   settings=dict(meta.get("settings", {})), meta=dict(meta.get("meta", {})))

    def summary(self) -> Any:
        return {"trees": self.n_trees, "nodes": int(len(self.left)), "features": self.n_features,
                **{k: v for k, v in self.meta.items() if isinstance(v, (int, float, str))}}

    # -- use -----------------------------------------------------------------------------------
    def predict(self, planes: np.ndarray) -> np.ndarray:
        """The mean of the trees' leaf values for each pixel, from an F×N float32 array of feature planes.

        Each tree splits the set of pixel indices node by node (a stack of (node, pixels) pairs),
        so every pixel is touched once per level of its path and the Python work is one step per
        node that some pixel reaches; empty sets are dropped, so a hostile tree cannot blow up.
        """
        planes = np.ascontiguousarray(planes, dtype=np.float32)
        if planes.ndim != 2 or planes.shape[0] != self.n_features:
            raise ValueError(f"the model was trained on {self.n_features} features per pixel, got an array of "
                             f"shape {planes.shape}")
        pixels = planes.shape[1]
        index_type = np.int32 if pixels < 2**31 else np.int64
        left, right, feature = self.left.tolist(), self.right.tolist(), self.feature.tolist()
        threshold, value = self.threshold.tolist(), self.value.tolist()

        def walk(root: int) -> np.ndarray:
            total = np.zeros(pixels, np.float64)
            stack = [(root, np.arange(pixels, dtype=index_type))]
            while stack:
                node, chosen = stack.pop()
                if left[node] < 0:
                    total[chosen] += value[node]
                    continue
                goes_left = planes[feature[node]][chosen] <= threshold[node]
                for child, part in ((left[node], chosen[goes_left]), (right[node], chosen[~goes_left])):
                    if len(part):
                        stack.append((child, part))
            return total

        return sum(walk(root) for root in self.roots.tolist()) / self.n_trees
