"""label.clip: zero-shot labels for instances from a list of class names, with CLIP.

The scoring core (:func:`clip_scores`) takes any images and any texts, so other nodes reuse it:
picking the views of a scene that show "a red chair" is ``clip_scores(model, views, [prompt])``
with ``softmax=False`` (cosine similarities, comparable across images), ranking instance crops
is what :func:`label.clip <clip>` does with ``softmax=True`` (a probability per class).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Instances, Table

from ..image.pixels import require_same_size
from ..models.device import pick_device, pick_dtype
from ..models.loading import ModelIdentity, load_model, unload_model
from ..models.params import runtime_params
from ..models.quiet import quiet_transformers
from ..models.weights import hub_download, locate_model, looks_like_path, offline
from ..models.needs import hub_models
from .crops import instance_crop
from .labelling import check_classes

DEFAULT_MODEL = "openai/clip-vit-base-patch32"
DEFAULT_TEMPLATE = "a photo of a {}."
#: CLIP sees RGB: a transparent background has no meaning to it, so that crop style is not offered.
CLIP_BACKGROUNDS = ("dim", "black", "keep")
HOW_TO_GET = (
    "Download it once with `hf download openai/clip-vit-base-patch32` (or any CLIP model id, "
    "e.g. openai/clip-vit-large-patch14), or put a folder saved with save_pretrained under THYRA_MODELS_DIR "
    "(as <dir>/openai--clip-vit-base-patch32) and give its id or path in 'model'. "
    "Needs: pip install 'thyra-graph[label]'")


class ClipEncoder(Protocol):
    """What the scoring core needs from a model: L2-normalised embeddings and CLIP's temperature."""

    logit_scale: float

    def embed_images(self, images: Sequence[np.ndarray], *, batch_size: int = 16,
                     progress: Callable[[int, int], None] | None = None) -> np.ndarray: ...

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(eq=False)
class ClipModel:
    """A loaded CLIP model and processor. Text embeddings are kept per list of texts, so a class
    list is encoded once per process however many images or runs use it."""

    model: Any
    processor: Any
    device: str
    dtype: Any
    key: tuple
    logit_scale: float = 100.0
    _texts: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict, repr=False)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """T×D normalised text embeddings (float32)."""
        key = tuple(texts)
        if key not in self._texts:
            import torch

            tokens = self.processor.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
            with torch.inference_mode():
                features = _pooled(self.model.get_text_features(**tokens.to(self.device)))
            self._texts[key] = normalise(features.float().cpu().numpy())
        return self._texts[key]

    def embed_images(self, images: Sequence[np.ndarray], *, batch_size: int = 16,
                     progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """N×D normalised image embeddings (float32) of H×W×3 uint8 RGB images, ``batch_size`` at a time."""
        import torch

        rows = []
        for start in range(0, len(images), batch_size):
            if progress is not None:
                progress(start, len(images))
            batch = [np.ascontiguousarray(image[:, :, :3]) for image in images[start:start + batch_size]]
            pixels = self.processor.image_processor(images=batch, return_tensors="pt")["pixel_values"]
            with torch.inference_mode():
                features = _pooled(self.model.get_image_features(pixel_values=pixels.to(self.device, self.dtype)))
            rows.append(normalise(features.float().cpu().numpy()))
        if progress is not None:
            progress(len(images), len(images))
        dim = self.model.config.projection_dim
        return np.concatenate(rows) if rows else np.zeros((0, dim), np.float32)


def _pooled(output: Any) -> Any:
    # transformers 5 returns an output object with the projected features as pooler_output;
    # transformers 4 returned the tensor itself.
    return getattr(output, "pooler_output", output)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def similarities_to_probabilities(similarities: np.ndarray, logit_scale: float) -> np.ndarray:
    """Softmax over the texts of ``logit_scale`` × cosine similarity: CLIP's zero-shot probabilities."""
    logits = np.asarray(similarities, dtype=np.float64) * float(logit_scale)
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return (weights / weights.sum(axis=-1, keepdims=True)).astype(np.float32)


def clip_scores(model: ClipEncoder, images: Sequence[np.ndarray], texts: Sequence[str], *,
                softmax: bool = True, batch_size: int = 16,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """An N×T array scoring each image against each text.

    ``softmax=True``: per image, the probability of each text (rows sum to 1), for choosing a
    label from a closed list. ``softmax=False``: cosine similarities in [-1, 1], comparable across
    images, for ranking or thresholding images against one description (the multi-view seed keeps
    views above about 0.2 with CLIP ViT-B/32).
    """
    if not texts:
        raise ValueError("clip_scores needs at least one text")
    text_embeddings = model.embed_texts(list(texts))
    if not len(images):
        return np.zeros((0, len(texts)), np.float32)
    image_embeddings = model.embed_images(list(images), batch_size=batch_size, progress=progress)
    similarities = image_embeddings @ text_embeddings.T
    return similarities_to_probabilities(similarities, model.logit_scale) if softmax else similarities.astype(np.float32)


# -- loading -------------------------------------------------------------------------------------
def load_clip(ctx, *, model: str = DEFAULT_MODEL, device: str = "auto", precision: str = "auto") -> ClipModel:
    """The CLIP model ``model`` on ``device``, loaded once per process through ``ctx.resources``."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise NodeError(f"label.clip needs torch and transformers ({exc.name} is missing): "
                        "pip install 'thyra-graph[label]'") from None
    path = with_weights(locate_model(model, ctx=ctx, what="the CLIP model", how_to_get=HOW_TO_GET), model)
    where = pick_device(device)
    dtype = pick_dtype(where, precision)
    # The identity holds the weight files' sizes and times: weights replaced in place load afresh.
    key = ModelIdentity.of("clip", path, backend="transformers", device=where, dtype=dtype)

    def load() -> ClipModel:
        from transformers import AutoModel, AutoProcessor

        try:
            with quiet_transformers():
                processor = AutoProcessor.from_pretrained(str(path))
                network = AutoModel.from_pretrained(str(path), dtype=dtype).to(where).eval()
        except (OSError, ValueError, KeyError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise NodeError(f"cannot load the CLIP model {model!r} from {str(path)!r}: {reason}. {HOW_TO_GET}") from None
        if not (hasattr(network, "get_image_features") and hasattr(network, "get_text_features")
                and hasattr(processor, "tokenizer") and hasattr(processor, "image_processor")):
            raise NodeError(f"{model!r} is a {type(network).__name__}, not a CLIP-style model with image and text "
                            f"encoders: give a CLIP model such as {DEFAULT_MODEL!r}")
        scale = float(network.logit_scale.exp().item()) if hasattr(network, "logit_scale") else 100.0
        return ClipModel(network, processor, where, dtype, key, logit_scale=scale)

    return load_model(ctx, key, load)


def with_weights(path: Path, name: str) -> Path:
    """The model folder, once it holds weights.

    OpenAI's own CLIP repositories (the default model among them) keep their weights only as
    ``pytorch_model.bin``, which a safetensors-first download skips; that one file is fetched
    then. transformers reads it with ``torch.load(weights_only=True)``: tensors only, no code.
    """
    if not path.is_dir() or any(path.glob("*.safetensors")) or (path / "pytorch_model.bin").is_file():
        return path
    if looks_like_path(name) or offline():
        raise NodeError(f"the CLIP model folder {str(path)!r} has no weights (model.safetensors or pytorch_model.bin)"
                        f"{' and offline mode is on' if offline() else ''}. {HOW_TO_GET}")
    try:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(name, "pytorch_model.bin")).parent
    except Exception as exc:  # noqa: BLE001 - network, auth and missing-file errors all end here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NodeError(f"the CLIP model {name!r} has no safetensors weights and downloading its "
                        f"pytorch_model.bin failed: {reason}. {HOW_TO_GET}") from None


def unload_clip(ctx, model: ClipModel) -> None:
    """Drop the model from the resource cache and give its GPU memory back."""
    unload_model(ctx, model.key)


# -- labelling instances -------------------------------------------------------------------------
def class_list(classes: Any) -> list[str]:
    """The class names from a list, or from one comma-separated string ("cat, dog"); at least one."""
    names = check_classes(classes)
    if not names:
        raise NodeError("label.clip needs the names to choose from: set 'classes' to a list such as "
                        "[cat, dog, bird] (CLIP picks, for each object, the name its crop matches best)")
    return names


def prompts_for(classes: Sequence[str], template: str) -> list[str]:
    """One text per class: ``template`` with ``{}`` replaced by the class name."""
    if "{}" not in template:
        raise NodeError(f"the template {template!r} has no '{{}}' where the class name goes: "
                        f"write it like {DEFAULT_TEMPLATE!r}")
    return [template.replace("{}", name) for name in classes]


def square(crop: np.ndarray) -> np.ndarray:
    """The crop centred on a black square: CLIP's processor centre-crops to a square, which would
    cut the ends off a long object."""
    height, width = crop.shape[:2]
    side = max(height, width)
    if height == width:
        return crop
    canvas = np.zeros((side, side, 3), np.uint8)
    y, x = (side - height) // 2, (side - width) // 2
    canvas[y:y + height, x:x + width] = crop[:, :, :3]
    return canvas


@dataclass
class ClipLabels:
    """Per instance: the chosen class (index into the class list, -1 = none) and every probability."""

    probabilities: np.ndarray  # N×C, a row of zeros where the instance had no pixels
    best: np.ndarray  # N int, -1 where empty or below min_score
    has_pixels: np.ndarray  # N bool


def classify_instances(model: ClipEncoder, rgb: np.ndarray, instances: Instances, prompts: Sequence[str], *,
                       padding: float = 0.15, background: str = "dim", min_score: float = 0.0,
                       batch_size: int = 16, max_side: int = 448,
                       progress: Callable[[int, int], None] | None = None) -> ClipLabels:
    """Score each instance's crop against ``prompts`` (one per class)."""
    crops, rows = [], []
    for index, mask in enumerate(instances.masks):
        made = instance_crop(rgb, mask, padding=padding, max_side=max_side, background=background)
        if made is not None:
            crops.append(square(made[0]))
            rows.append(index)
    probabilities = np.zeros((len(instances), len(prompts)), np.float32)
    if crops:
        probabilities[rows] = clip_scores(model, crops, prompts, batch_size=batch_size, progress=progress)
    has_pixels = np.zeros(len(instances), bool)
    has_pixels[rows] = True
    best = np.where(has_pixels, probabilities.argmax(axis=1), -1)
    best[has_pixels & (probabilities.max(axis=1, initial=0.0) < min_score)] = -1
    return ClipLabels(probabilities, best.astype(np.int64), has_pixels)


def labelled_instances(instances: Instances, classes: Sequence[str], result: ClipLabels, *, unknown: str,
                       top_k: int, set_class_ids: bool, replace_scores: bool) -> Instances:
    """A copy of ``instances`` with CLIP's labels, scores and per-class probabilities in ``extra``."""
    n = len(instances)
    labels = [classes[b] if b >= 0 else unknown for b in result.best]
    chosen = np.array([result.probabilities[i, b] if b >= 0 else 0.0 for i, b in enumerate(result.best)], np.float32)
    extra = [dict(e) for e in instances.extra] if instances.extra else [{} for _ in range(n)]
    for i in range(n):
        order = np.argsort(-result.probabilities[i], kind="stable")[:top_k] if result.has_pixels[i] else []
        extra[i]["clip"] = {classes[c]: round(float(result.probabilities[i, c]), 6) for c in order}
        if replace_scores:
            extra[i]["mask_score"] = round(float(instances.scores[i]), 6)
    class_ids, names = instances.class_ids.copy(), dict(instances.classes)
    if set_class_ids:
        # Ids from 1 in list order; 0 stays "unclassified" (what the exporters expect for no class).
        class_ids = np.where(result.best >= 0, result.best + 1, 0).astype(np.int32)
        names = {i + 1: name for i, name in enumerate(classes)}
    return Instances(
        instances.masks, class_ids, chosen if replace_scores else instances.scores.copy(), labels,
        list(instances.descriptions), names, extra)


def score_table(classes: Sequence[str], labels: Sequence[str], result: ClipLabels) -> Table:
    """One row per instance (numbered from 1): its label, and its probability for every class."""
    columns: dict[str, Any] = {
        "instance": np.arange(1, len(labels) + 1, dtype=np.int64),
        "label": list(labels),
        "score": np.array([result.probabilities[i, b] if b >= 0 else 0.0 for i, b in enumerate(result.best)],
                          np.float32),
    }
    for c, name in enumerate(classes):
        columns[f"p({name})"] = result.probabilities[:, c].copy()
    return Table(columns)


@node(
    "label.clip", title="Label with CLIP", category="label", device="gpu", destinations=hub_download, requires=("torch", "transformers"),
    models=hub_models("model"),
    inputs=[
        Input("image", Image, help="the image the instances were found in"),
        Input("instances", Instances, help="the objects to name"),
    ],
    params=[
        Param("classes", [], kind="json", items="text", help="the names to choose from, e.g. [cat, dog, bird] (or 'cat, dog, bird')"),
        Param("template", DEFAULT_TEMPLATE, help="the text CLIP compares each crop with; {} is replaced by the class name"),
        Param("model", DEFAULT_MODEL, help="a CLIP model: Hugging Face id or local folder (THYRA_MODELS_DIR is searched)"),
        *runtime_params(),
        Param("padding", 0.15, min=0, max=2, step=0.05, help="context around each object, as a fraction of its box's longer side"),
        Param("background", "dim", choices=CLIP_BACKGROUNDS, help="what happens to pixels outside the object's mask in the crop: dim, black or keep"),
        Param("min_score", 0.0, min=0, max=1, step=0.05, help="objects whose best probability is lower get the 'unknown' label"),
        Param("unknown", "unknown", help="label for objects below min_score or without pixels ('' leaves them unlabelled)"),
        Param("top_k", 3, min=1, max=100, help="how many of the best classes to keep per object in extra['clip']"),
        Param("set_class_ids", True, help="set class ids and names from the class list (1 = first class; 0 = unknown)"),
        Param("replace_scores", True, help="make each object's score the probability of its label (the mask score moves to extra['mask_score'])"),
        Param("batch_size", 16, min=1, max=512, help="crops encoded at once (lower it if the GPU runs out of memory)"),
    ],
    outputs=[
        Output("instances", Instances, help="the objects with labels, scores and extra['clip'] = {class: probability}"),
        Output("scores", Table, help="one row per object: instance number, label, score, p(class) for every class"),
    ],
)
def clip(image: Image, instances: Instances, *, classes: Any, template: str, model: str, device: str,
         precision: str, padding: float, background: str, min_score: float, unknown: str, top_k: int,
         set_class_ids: bool, replace_scores: bool, batch_size: int, unload: bool, ctx) -> dict:
    """Name each object with the class from a list whose text best matches its crop (CLIP, zero-shot).

    Each object is cut out of the image with some context (outside its mask dimmed), padded to a
    square and compared with "a photo of a {class}." for every class; the probabilities over the
    classes sum to 1 per object. No training and no server: good for telling apart a few
    visually distinct classes; for open-ended names or descriptions use label.vlm.

    Example: ``{type: label.clip, inputs: {image: load.image, instances: seg.instances},
    params: {classes: [coin, button, washer]}}``
    """
    names = class_list(classes)
    prompts = prompts_for(names, template)
    if not len(instances):
        # Nothing to name: no reason to load a model (or to fail for lack of one).
        result = ClipLabels(np.zeros((0, len(names)), np.float32), np.zeros(0, np.int64), np.zeros(0, bool))
    else:
        require_same_size(image, instances.masks, name="instances")
        encoder = load_clip(ctx, model=model, device=device, precision=precision)
        try:
            result = classify_instances(encoder, image.as_uint8_rgb(), instances, prompts, padding=padding,
                                        background=background, min_score=min_score, batch_size=batch_size,
                                        progress=ctx.progress)
        finally:
            if unload:
                unload_clip(ctx, encoder)
    empty = int((~result.has_pixels).sum())
    if empty:
        ctx.warn(f"{empty} of {len(instances)} objects have no pixels and were labelled {unknown!r}")
    labelled = labelled_instances(instances, names, result, unknown=unknown, top_k=top_k,
                                  set_class_ids=set_class_ids, replace_scores=replace_scores)
    return {"instances": labelled, "scores": score_table(names, labelled.labels, result)}

