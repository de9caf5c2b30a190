"""SAM 2 through Hugging Face transformers (``Sam2Model`` + ``Sam2Processor``).

``embed`` runs the vision encoder once and keeps its three feature levels as NumPy;
``decode`` runs only the prompt encoder and mask decoder on them and brings the masks back to
the image's size. Loaded from a ``save_pretrained`` folder (``from_pretrained(str(path))``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thyra_graph.engine.declaration import NodeError

from ..models.quiet import quiet_transformers
from .segmenter import ImageEmbedding, Prediction, checked_prompt

#: Feature levels of ``Sam2Model.get_image_embeddings``, high resolution first.
LEVELS = ("high_res_0", "high_res_1", "image_embed")


class TransformersSegmenter:
    """A :class:`~thyra_graph.nodes.segment.segmenter.Segmenter` on a transformers ``Sam2Model``."""

    backend = "transformers"

    def __init__(self, model, processor, *, key: str, device: str, dtype) -> None:
        self.model = model
        self.processor = processor
        self.key = key
        self.device = device
        self.dtype = dtype
        self._image_pe = None

    @classmethod
    def load(cls, path: Path, *, key: str, device: str, dtype) -> "TransformersSegmenter":
        from transformers import Sam2Model, Sam2Processor

        try:
            # The hub's SAM 2 checkpoints are of the video type; loading their image part as
            # Sam2Model is intended, so transformers' "model of type sam2_video" note is noise.
            with quiet_transformers():
                model = Sam2Model.from_pretrained(str(path), dtype=dtype)
                processor = Sam2Processor.from_pretrained(str(path))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise NodeError(f"cannot load a SAM 2 model from {str(path)!r}: {reason}. The folder must hold a "
                            "transformers Sam2Model (config.json, model.safetensors, processor_config.json), e.g. "
                            "`hf download facebook/sam2.1-hiera-tiny`") from None
        model = model.to(device).eval()
        return cls(model, processor, key=key, device=device, dtype=dtype)

    def embed(self, rgb: np.ndarray) -> ImageEmbedding:
        import torch

        height, width = rgb.shape[:2]
        inputs = self.processor(images=rgb, return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.device, dtype=self.dtype)
        with torch.inference_mode(), self._autocast():
            levels = self.model.get_image_embeddings(pixels)
        arrays = {name: level[0].float().cpu().numpy() for name, level in zip(LEVELS, levels)}
        return ImageEmbedding(arrays, int(height), int(width), self.key, {"backend": self.backend})

    def decode(self, embedding: ImageEmbedding, *, points: np.ndarray | None = None,
               point_labels: np.ndarray | None = None, box: np.ndarray | None = None,
               multimask: bool = False) -> Prediction:
        import torch

        points, labels, box = checked_prompt(embedding, self.key, points, point_labels, box)
        size = [[embedding.height, embedding.width]]
        prompt = {}
        if points is not None:
            prompt["input_points"] = [[points.tolist()]]
            prompt["input_labels"] = [[labels.tolist()]]
        if box is not None:
            prompt["input_boxes"] = [[box.tolist()]]
        encoded = self.processor(original_sizes=size, return_tensors="pt", **prompt)
        tensors = {k: encoded[k].to(self.device) for k in ("input_points", "input_labels", "input_boxes") if k in encoded}
        levels = [torch.from_numpy(embedding.arrays[name])[None].to(self.device, dtype=self.dtype) for name in LEVELS]
        with torch.inference_mode(), self._autocast():
            # Sam2Model.forward minus the work that does not depend on the prompt (the image-wide
            # positional embedding, computed once): a new click then costs only the decoder.
            sparse, dense = self.model.prompt_encoder(
                input_points=tensors.get("input_points"), input_labels=tensors.get("input_labels"),
                input_boxes=tensors.get("input_boxes"), input_masks=None)
            low_res, iou_scores, _, _ = self.model.mask_decoder(
                image_embeddings=levels[-1], image_positional_embeddings=self._positional_embedding(),
                sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=multimask,
                high_resolution_features=levels[:-1])
        logits = low_res[0].float().cpu()  # 1 × K × h × w
        masks = self.processor.post_process_masks([logits], [size[0]])[0][0].numpy()
        scores = iou_scores[0, 0].float().cpu().numpy()
        order = np.argsort(-scores, kind="stable")
        return Prediction(masks[order].astype(bool), scores[order].astype(np.float32))

    def _positional_embedding(self):
        if self._image_pe is None:
            self._image_pe = self.model.get_image_wide_positional_embeddings()
        return self._image_pe

    def _autocast(self):
        import contextlib

        import torch

        if self.device.startswith("cuda") and self.dtype != torch.float32:
            return torch.autocast("cuda", dtype=self.dtype)
        return contextlib.nullcontext()
