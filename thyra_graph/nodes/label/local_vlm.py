"""label.local_vlm: name and describe instances with a vision-language model run locally
through transformers (image-text-to-text), on a GPU when there is one."""

from __future__ import annotations

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Instances, Table, Text

from thyra_graph.engine.devices import canonical_device

from ..models.loading import ModelIdentity, load_model, loaded_models, unload_model
from ..models.params import runtime_params
from ..models.quiet import quiet_transformers
from ..models.weights import hub_download
from ..models.needs import hub_models
from .crops import BACKGROUNDS
from .labelling import USES

SOURCE = "local_vlm"
DEFAULT_MODEL = "llava-hf/llava-interleave-qwen-0.5b-hf"
HOW_TO_GET = (
    "Give a Hugging Face id of an image-text-to-text model (e.g. llava-hf/llava-interleave-qwen-0.5b-hf, "
    "Qwen/Qwen2-VL-2B-Instruct) and run once online, or download it with "
    "`hf download <id>` (or save_pretrained it into THYRA_MODELS_DIR/<id with / as -->), "
    "or give the path of such a folder")


@node(
    "label.local_vlm", title="Label with local VLM", category="label", device="gpu", destinations=hub_download, requires=("torch", "transformers"),
    models=hub_models("model"),
    inputs=[
        Input("image", Image, help="the image the instances were segmented from"),
        Input("instances", Instances, help="the regions to name or describe"),
    ],
    params=[
        Param("model", DEFAULT_MODEL, help="Hugging Face id or local folder of an image-text-to-text model"),
        Param("prompt", "", help="the question per crop; {classes} and {index} are filled in (empty: describe, or pick a class)"),
        Param("classes", [], kind="json", items="text", help="class names to choose from, e.g. [car, tree]; asks for a JSON answer and checks it"),
        Param("use", "both", choices=USES, help="what to fill in from the answer: labels, descriptions or both"),
        Param("padding", 0.15, min=0.0, max=2.0, step=0.05, help="context around the mask, as a fraction of its box"),
        Param("max_side", 512, min=32, max=4096, help="crops are shrunk to this longer side"),
        Param("background", "dim", choices=BACKGROUNDS, help="what happens outside the mask: dimmed, transparent, black or kept"),
        Param("max_crops", 50, min=0, optional=True, help="at most this many instances are described per run (empty: no limit)"),
        Param("max_new_tokens", 120, min=1, max=4096, help="longest answer, in tokens"),
        *runtime_params(),
        Param("debug_dir", None, kind="path", optional=True, affects_result=False,
              help="a folder to save the exact crops shown (D001.png …) and answers.json, to check what the model saw"),
    ],
    outputs=[
        Output("instances", Instances, help="the instances with labels/descriptions; extra['local_vlm'] flags doubtful answers"),
        Output("crops", Image, help="the crops the model saw, numbered D1, D2 …"),
        Output("usage", Table, help="per instance: answered or cached, and the tokens generated"),
        Output("cost", Text, help="this run's work in one line: crops asked, cache hits, failures, tokens"),
    ],
)
def local_vlm(image: Image, instances: Instances, *, model: str, prompt: str, classes: list, use: str,
              padding: float, max_side: int, background: str, max_crops: int | None, max_new_tokens: int,
              device: str, precision: str, unload: bool, debug_dir: str | None, ctx) -> dict:
    """Name or describe each instance with a vision-language model running on this machine.

    Each instance is cropped around its mask (outside dimmed) and shown to the model with the
    prompt; greedy decoding, so the same crop gets the same answer, and answers are cached.

    Example: ``{type: label.local_vlm, inputs: {image: load.image, instances: sam.instances},
    params: {classes: [car, person, tree], use: label}}``
    """
    from ..models.device import pick_device, pick_dtype
    from ..models.weights import locate_model
    from .answer_cache import AnswerCache
    from .labelling import (Outcome, attach, check_classes, crop_mosaic, look_up, plan_questions, remember,
                            summary_line, usage_table, write_debug)

    names = check_classes(classes)
    settings = {"max_new_tokens": max_new_tokens, "decoding": "greedy"}
    plan = plan_questions(image, instances, template=prompt, classes=names, model=model, settings=settings,
                          padding=padding, max_side=max_side, background=background, max_crops=max_crops)
    cache = AnswerCache.for_context(ctx)
    outcomes = look_up(plan, cache)
    todo = [q for q in plan.questions if q.index not in outcomes]
    where = pick_device(device)
    dtype = pick_dtype(where, precision)
    if todo:
        path = locate_model(model, ctx=ctx, what="the vision-language model", how_to_get=HOW_TO_GET)
        key = ModelIdentity.of("local_vlm", path, backend="transformers", device=where, dtype=dtype)
        loaded = load_model(ctx, key, lambda: _load(path, where, dtype))
        for done, question in enumerate(todo, start=1):
            text, read, generated = _generate(loaded, question.crop, question.prompt, where, dtype, max_new_tokens)
            outcome = Outcome("answered", text, requests=1, prompt_tokens=read, completion_tokens=generated)
            outcomes[question.index] = outcome
            remember(cache, question, outcome, model=model, provider=f"local:{where}")
            ctx.progress(done, len(todo), f"D{question.index + 1}")
    if unload:
        _unload(ctx, where, dtype)
    labelled = attach(instances, plan, outcomes, classes=names, use=use, source=SOURCE)
    if debug_dir:
        write_debug(ctx.resolve(debug_dir), plan, outcomes)
    line = summary_line(plan, outcomes, where=f"{model} on {where}")
    ctx.log.info("%s: %s", ctx.node_id, line)
    ctx.progress(max(1, len(todo)), max(1, len(todo)), line)
    if plan.beyond_limit:
        ctx.warn(f"max_crops is {max_crops}: {len(plan.beyond_limit)} of {len(instances)} instances were not described "
                 "and stay unlabelled; raise max_crops to label them")
    return {"instances": labelled, "crops": crop_mosaic(plan), "usage": usage_table(labelled, plan, outcomes, source=SOURCE),
            "cost": Text(line)}


def _load(path, device: str, dtype):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    try:
        with quiet_transformers():
            processor = AutoProcessor.from_pretrained(str(path))
            network = AutoModelForImageTextToText.from_pretrained(str(path), dtype=dtype)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NodeError(f"cannot load {str(path)!r} as an image-text-to-text model with its processor: {reason}. "
                        f"{HOW_TO_GET}") from None
    network.to(device).eval()
    return processor, network


def _generate(loaded, crop, prompt: str, device: str, dtype, max_new_tokens: int) -> tuple[str, int, int]:
    """The model's answer for one crop, the tokens it read (image included) and generated."""
    import torch
    from PIL import Image as PILImage

    from .labelling import rgb_for_model

    processor, network = loaded
    picture = PILImage.fromarray(rgb_for_model(crop))
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
    try:
        text = processor.apply_chat_template(messages, add_generation_prompt=True)
    except (ValueError, AttributeError):
        raise NodeError("the model's processor has no chat template, so it cannot be prompted with an image: "
                        f"use an instruction-tuned model. {HOW_TO_GET}") from None
    inputs = processor(images=[picture], text=[text], return_tensors="pt").to(device)
    if "pixel_values" in inputs:
        inputs["pixel_values"] = inputs["pixel_values"].to(dtype)
    with torch.inference_mode():
        output = network.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    new_tokens = output[:, inputs["input_ids"].shape[1]:]
    answer = processor.batch_decode(new_tokens, skip_special_tokens=True)[0]
    return answer.strip(), int(inputs["input_ids"].shape[1]), int(new_tokens.shape[1])


def _unload(ctx, device: str, dtype) -> None:
    # Every local VLM held for this device, also when this run needed none (all answers cached).
    held = [key for key in loaded_models(ctx, "local_vlm")
            if key.device == canonical_device(device) and key.dtype == str(dtype).replace("torch.", "")]
    unload_model(ctx, *held)
