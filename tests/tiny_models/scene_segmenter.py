"""An exact-answer test double for SAM 2 on the rendered scene (recon.synthetic_scene).

It knows which object every pixel of every rendered view shows, and answers a prompt with the
true mask of the object the prompt points at: the object under most positive points, or, for a
box alone, the object covering most of the box. So a test of multi-view consistency checks the
real projection and prompting logic against known answers. No install function: builds no model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from thyra_graph.nodes.segment.segmenter import ImageEmbedding, Prediction


@dataclass
class SceneSegmenter:
    images: list[np.ndarray]
    object_ids: list[np.ndarray]
    key: str = "scene-segmenter"
    decode_calls: list[dict] = field(default_factory=list)

    def embed(self, rgb: np.ndarray) -> ImageEmbedding:
        view = next(i for i, image in enumerate(self.images) if np.array_equal(image, rgb))
        return ImageEmbedding({"ids": self.object_ids[view]}, rgb.shape[0], rgb.shape[1], self.key, {"view": view})

    def decode(self, embedding: ImageEmbedding, *, points=None, point_labels=None, box=None,
               multimask: bool = False) -> Prediction:
        ids = embedding.arrays["ids"]
        self.decode_calls.append({"view": embedding.meta["view"], "points": None if points is None else len(points),
                                  "box": box is not None})
        chosen = None
        if points is not None and len(points):
            labels = np.ones(len(points)) if point_labels is None else np.asarray(point_labels)
            xy = np.floor(np.asarray(points, float)[labels == 1] + 0.5).astype(int)
            xy = xy[(xy[:, 0] >= 0) & (xy[:, 0] < ids.shape[1]) & (xy[:, 1] >= 0) & (xy[:, 1] < ids.shape[0])]
            if len(xy):
                chosen = int(np.bincount(ids[xy[:, 1], xy[:, 0]]).argmax())
        if chosen is None and box is not None:
            x0, y0, x1, y1 = np.asarray(box, float)
            inside = ids[max(0, int(np.ceil(y0))):int(y1) + 1, max(0, int(np.ceil(x0))):int(x1) + 1].ravel()
            objects = inside[inside > 0]
            chosen = int(np.bincount(objects).argmax()) if len(objects) else 0
        mask = ids == (0 if chosen is None else chosen)
        return Prediction(mask[None], np.array([0.95], np.float32))
