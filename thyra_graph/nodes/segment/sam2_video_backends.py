"""SAM 2 video tracking on either backend, one chunk of frames at a time.

A :class:`VideoTracker` takes a chunk of frames (a list of H×W×3 uint8 RGB arrays) and the
prompts on some of them, and yields the masks of every object on every frame from the first
prompted one on. The node (``segment.sam2_video``) cuts the video into chunks and carries each
object's last mask into the next chunk as a mask prompt, so nothing here ever holds more than
one chunk: not the frames, not SAM 2's memory bank.

- transformers: ``Sam2VideoModel`` with a streaming ``Sam2VideoInferenceSession``: frames are
  fed one by one and each frame's pixels are dropped once it has been tracked.
- sam2 (Meta): ``SAM2VideoPredictor`` whose ``init_state`` only reads JPEG folders or mp4 files
  whole; the inference state is built here instead, over the chunk's frames, which are resized and
  normalised one at a time when the predictor asks for them (the same preprocessing as
  ``sam2.utils.misc.load_video_frames``). Written against sam2 1.1.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol, Sequence

import numpy as np

from thyra_graph.engine.declaration import NodeError

from ..models.loading import ModelIdentity, load_model, loaded_models, unload_model
from ..models.quiet import quiet_transformers
from .sam2_loading import HOW_TO_GET_TRANSFORMERS, choose_model


@dataclass
class ObjectPrompt:
    """What the user (or the previous chunk) says about one object on one frame: clicks
    (``points`` N×2 pixels with ``labels`` 1/0) and/or a ``box`` (x0, y0, x1, y1), or a ``mask``."""

    object_id: int
    points: np.ndarray | None = None
    labels: np.ndarray | None = None
    box: np.ndarray | None = None
    mask: np.ndarray | None = None


@dataclass
class TrackedFrame:
    """The objects on one frame of a chunk: ids, K×H×W bool masks, and the model's confidence
    that each object is visible (0–1)."""

    index: int  # within the chunk
    object_ids: list[int]
    masks: np.ndarray
    scores: np.ndarray


class VideoTracker(Protocol):
    key: str
    device: str

    def track(self, frames: Sequence[np.ndarray],
              prompts: Mapping[int, Sequence[ObjectPrompt]]) -> Iterator[TrackedFrame]:
        """Yield a TrackedFrame for each frame from the first prompted one to the end of the chunk.
        An object appears from the frame of its first prompt on."""
        ...


def load_tracker(ctx, *, backend: str, model: str, config: str, device: str, precision: str) -> VideoTracker:
    """The video tracker for these parameters, loaded once per process through ``ctx.resources``."""
    choice = choose_model(ctx, backend=backend, model=model, config=config, device=device, precision=precision)
    key = "video-" + choice.key

    def load() -> VideoTracker:
        if choice.backend == "transformers":
            return TransformersTracker.load(choice.weights, key=key, device=choice.device, dtype=choice.dtype)
        return MetaTracker.load(choice.weights, choice.config_source, key=key, device=choice.device, dtype=choice.dtype)

    identity = ModelIdentity.of("sam2_video", choice.weights, backend=choice.backend, device=choice.device,
                                dtype=choice.dtype, extra=key)
    return load_model(ctx, identity, load, nbytes=choice.nbytes)


def unload_tracker(ctx, tracker: VideoTracker) -> None:
    """Drop the model from the resource cache and give its GPU memory back."""
    unload_model(ctx, *[k for k in loaded_models(ctx, "sam2_video") if k.fingerprint.endswith("|" + tracker.key)])


def _first_prompts(prompts: Mapping[int, Sequence[ObjectPrompt]]) -> dict[int, int]:
    first: dict[int, int] = {}
    for index in sorted(prompts):
        for prompt in prompts[index]:
            first.setdefault(prompt.object_id, index)
    return first


# -- transformers ---------------------------------------------------------------------------------
class TransformersTracker:
    """Sam2VideoModel + Sam2VideoProcessor, streamed frame by frame."""

    def __init__(self, model: Any, processor: Any, *, key: str, device: str, dtype: Any) -> None:
        self.model, self.processor = model, processor
        self.key, self.device, self.dtype = key, device, dtype

    @classmethod
    def load(cls, folder: Path, *, key: str, device: str, dtype: Any) -> "TransformersTracker":
        from transformers import Sam2VideoModel, Sam2VideoProcessor

        try:
            with quiet_transformers():
                model = Sam2VideoModel.from_pretrained(str(folder), dtype=dtype).to(device).eval()
                processor = Sam2VideoProcessor.from_pretrained(str(folder))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise NodeError(f"cannot load a SAM 2 video model from {str(folder)!r}: {reason}. The folder must hold a "
                            f"SAM 2 checkpoint with its processor, as facebook/sam2.1-hiera-tiny does. "
                            f"{HOW_TO_GET_TRANSFORMERS}") from None
        return cls(model, processor, key=key, device=device, dtype=dtype)

    def track(self, frames: Sequence[np.ndarray],
              prompts: Mapping[int, Sequence[ObjectPrompt]]) -> Iterator[TrackedFrame]:
        import torch

        if not prompts:
            return
        session = self.processor.init_video_session(inference_device=self.device, dtype=self.dtype)
        height, width = frames[0].shape[:2]
        with torch.inference_mode():
            for index in range(min(prompts), len(frames)):
                inputs = self.processor(images=frames[index], device=self.device, return_tensors="pt")
                if index in prompts:
                    for prompt in prompts[index]:
                        self._add(session, index, prompt, (height, width))
                    # Each add call replaces the list of objects with new inputs; the model must
                    # see all of this frame's prompted objects.
                    session.obj_with_new_inputs = list(dict.fromkeys(p.object_id for p in prompts[index]))
                output = self.model(inference_session=session, frame=inputs.pixel_values[0].to(self.device, self.dtype),
                                    frame_idx=index)
                # The pixels are only needed while the frame is tracked; the memory bank keeps features.
                session.processed_frames.pop(index, None)
                masks = self.processor.post_process_masks([output.pred_masks.float()], original_sizes=[[height, width]],
                                                          binarize=True)[0]
                scores = torch.sigmoid(output.object_score_logits.float().reshape(-1))
                yield TrackedFrame(index, [int(i) for i in output.object_ids],
                                   masks[:, 0].cpu().numpy().astype(bool), scores.cpu().numpy().astype(np.float32))

    def _add(self, session: Any, index: int, prompt: ObjectPrompt, size: tuple[int, int]) -> None:
        if prompt.mask is not None:
            self.processor.add_inputs_to_inference_session(session, frame_idx=index, obj_ids=prompt.object_id,
                                                           input_masks=np.asarray(prompt.mask, dtype=bool))
            return
        points = labels = boxes = None
        if prompt.points is not None and len(prompt.points):
            points = [[[[float(x), float(y)] for x, y in prompt.points]]]
            labels = [[[int(v) for v in prompt.labels]]]
        if prompt.box is not None:
            boxes = [[[float(v) for v in prompt.box]]]
        self.processor.add_inputs_to_inference_session(session, frame_idx=index, obj_ids=prompt.object_id,
                                                       input_points=points, input_labels=labels, input_boxes=boxes,
                                                       original_size=size)


# -- Meta's sam2 ----------------------------------------------------------------------------------
# What build_sam2_video_predictor sets on top of the config (sam2 1.1, apply_postprocessing=True).
_VIDEO_OVERRIDES = {
    "model._target_": "sam2.sam2_video_predictor.SAM2VideoPredictor",
    "model.binarize_mask_from_pts_for_mem_enc": True,
    "model.fill_hole_area": 8,
}


class _ChunkImages:
    """The chunk's frames as the predictor's ``images``: each one resized to the model's square
    input and normalised only when asked for, so a chunk costs its uint8 frames, not float tensors."""

    _MEAN = np.array([0.485, 0.456, 0.406], np.float32)
    _STD = np.array([0.229, 0.224, 0.225], np.float32)

    def __init__(self, frames: Sequence[np.ndarray], size: int) -> None:
        self.frames, self.size = frames, size

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int):
        import cv2
        import torch

        square = cv2.resize(self.frames[index], (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        normalised = (square.astype(np.float32) / 255.0 - self._MEAN) / self._STD
        return torch.from_numpy(np.ascontiguousarray(normalised.transpose(2, 0, 1)))


def _memory_as_float32(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Forward pre-hook of the memory attention: its memory inputs in float32, like the features."""
    for name in ("memory", "memory_pos"):
        value = kwargs.get(name)
        if value is not None and value.is_floating_point():
            kwargs[name] = value.float()
    return args, kwargs


class MetaTracker:
    """Meta's SAM2VideoPredictor over an inference state built from a chunk in memory."""

    def __init__(self, predictor: Any, *, key: str, device: str, dtype: Any) -> None:
        self.predictor, self.key, self.device, self.dtype = predictor, key, device, dtype

    @classmethod
    def load(cls, checkpoint: Path, config: str, *, key: str, device: str, dtype: Any) -> "MetaTracker":
        import torch

        from .sam2_meta import build_model

        predictor = build_model(checkpoint, config, _VIDEO_OVERRIDES)
        predictor = predictor.to(device).eval()
        if dtype == torch.float32:
            # The predictor stores its memory bank in bfloat16 whatever the model's dtype and leaves the
            # mixing to CUDA autocast; in float32 (the CPU) the memory is brought back to float32.
            predictor.memory_attention.register_forward_pre_hook(_memory_as_float32, with_kwargs=True)
        return cls(predictor, key=key, device=device, dtype=dtype)

    def track(self, frames: Sequence[np.ndarray],
              prompts: Mapping[int, Sequence[ObjectPrompt]]) -> Iterator[TrackedFrame]:
        import contextlib

        import torch

        if not prompts:
            return
        predictor = self.predictor
        autocast = (torch.autocast("cuda", dtype=self.dtype) if self.dtype in (torch.bfloat16, torch.float16)
                     else contextlib.nullcontext())
        first = _first_prompts(prompts)
        with torch.inference_mode(), autocast:
            state = self._state(frames)
            for index in sorted(prompts):
                for prompt in prompts[index]:
                    if prompt.mask is not None:
                        predictor.add_new_mask(state, index, prompt.object_id, np.asarray(prompt.mask, dtype=bool))
                    else:
                        has_points = prompt.points is not None and len(prompt.points)
                        predictor.add_new_points_or_box(
                            state, index, prompt.object_id,
                            points=np.asarray(prompt.points, np.float32) if has_points else None,
                            labels=np.asarray(prompt.labels, np.int32) if has_points else None,
                            box=None if prompt.box is None else np.asarray(prompt.box, np.float32))
            for index, object_ids, logits in predictor.propagate_in_video(state):
                # SAM 2 also answers for objects on frames before their first prompt (from future
                # memory); an object starts where the user first pointed at it.
                rows = [row for row, object_id in enumerate(object_ids) if first[object_id] <= index]
                masks = (logits[rows, 0] > 0).cpu().numpy().astype(bool)
                scores = np.array([self._score(state, object_ids[row], index) for row in rows], np.float32)
                yield TrackedFrame(index, [int(object_ids[row]) for row in rows], masks, scores)

    def _state(self, frames: Sequence[np.ndarray]) -> dict:
        """``SAM2VideoPredictor.init_state`` (sam2 1.1) without reading a file: the same keys, over the chunk."""
        import torch

        height, width = frames[0].shape[:2]
        device = torch.device(self.device)
        state: dict[str, Any] = {
            "images": _ChunkImages(frames, self.predictor.image_size), "num_frames": len(frames),
            "offload_video_to_cpu": True, "offload_state_to_cpu": False,
            "video_height": height, "video_width": width, "device": device, "storage_device": device,
            "point_inputs_per_obj": {}, "mask_inputs_per_obj": {}, "cached_features": {}, "constants": {},
            "obj_id_to_idx": OrderedDict(), "obj_idx_to_id": OrderedDict(), "obj_ids": [],
            "output_dict_per_obj": {}, "temp_output_dict_per_obj": {}, "frames_tracked_per_obj": {},
        }
        return state

    @staticmethod
    def _score(state: dict, object_id: int, index: int) -> float:
        import torch

        outputs = state["output_dict_per_obj"][state["obj_id_to_idx"][object_id]]
        out = outputs["cond_frame_outputs"].get(index) or outputs["non_cond_frame_outputs"].get(index)
        if out is None or out.get("object_score_logits") is None:
            return 1.0
        return float(torch.sigmoid(out["object_score_logits"].float()).reshape(-1)[0])
