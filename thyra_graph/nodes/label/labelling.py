"""One labelling run, shared by ``label.vlm`` and ``label.local_vlm``: the questions asked (one
crop + prompt per instance), the answers attached back to the instances, and what it cost.

The nodes differ only in how a question reaches a model; everything a user sees (which
instances were sent, the crops, the flags on doubtful answers, the usage table and the
one-line summary in the log) is made here so both nodes report alike.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from thyra_graph.engine.declaration import NodeError
from thyra_graph.types import Image, Instances, Table

from .answer_cache import AnswerCache, answer_key, crop_digest
from .crops import instance_crop
from .prompts import Answer, build_prompt, parse_answer

USES = ("both", "label", "description")


@dataclass
class Question:
    """What is asked about instance ``index``: the crop (as the PNG sent) and the full prompt."""

    index: int
    crop: np.ndarray
    png: bytes
    prompt: str
    key: str


@dataclass
class Outcome:
    """How a question was answered: ``answered`` (asked now), ``cached`` or ``failed``."""

    status: str
    text: str = ""
    error: str | None = None
    requests: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass
class Plan:
    questions: list[Question]
    empty: list[int] = field(default_factory=list)
    beyond_limit: list[int] = field(default_factory=list)


def check_classes(classes: Any) -> list[str]:
    """The ``classes`` parameter as a list of distinct names, or a NodeError saying what is wrong."""
    if classes is None or classes == "":
        return []
    if isinstance(classes, str):
        classes = [part.strip() for part in classes.split(",")]
    if not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes):
        raise NodeError(f"classes must be a list of class names such as [\"car\", \"tree\"], got {classes!r}")
    names = [c.strip() for c in classes if c.strip()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:  # as label.clip: a name given twice is usually a typo for another one
        raise NodeError(f"classes lists {', '.join(map(repr, repeated))} more than once: give each name once")
    return names


def encode_png(crop: np.ndarray) -> bytes:
    import cv2

    bgr = cv2.cvtColor(crop, cv2.COLOR_RGBA2BGRA if crop.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", bgr)
    if not ok:
        raise NodeError("could not encode an instance crop as PNG")
    return data.tobytes()


def plan_questions(image: Image, instances: Instances, *, template: str, classes: Sequence[str], model: str,
                   settings: dict[str, Any], padding: float, max_side: int, background: str,
                   max_crops: int | None) -> Plan:
    """One question per non-empty instance, the first ``max_crops`` of them (the rest are left out)."""
    rgb = image.as_uint8_rgb()
    if instances.shape != rgb.shape[:2]:
        raise NodeError(f"the instances are {instances.shape[1]}×{instances.shape[0]} pixels but the image is "
                        f"{rgb.shape[1]}×{rgb.shape[0]}: connect the image the instances were segmented from")
    plan = Plan([])
    for index, mask in enumerate(instances.masks):
        if max_crops is not None and len(plan.questions) >= max_crops:
            plan.beyond_limit.append(index)
            continue
        made = instance_crop(rgb, mask, padding=padding, max_side=max_side, background=background)
        if made is None:
            plan.empty.append(index)
            continue
        crop, _ = made
        png = encode_png(crop)
        prompt = build_prompt(template, classes, index)
        plan.questions.append(Question(index, crop, png, prompt, answer_key(png, prompt, model, settings)))
    return plan


def look_up(plan: Plan, cache: AnswerCache) -> dict[int, Outcome]:
    """Outcomes of the questions already answered before (they cost no request)."""
    found = {}
    for question in plan.questions:
        record = cache.get(question.key)
        if record is not None:
            found[question.index] = Outcome("cached", record["text"])
    return found


def remember(cache: AnswerCache, question: Question, outcome: Outcome, *, model: str, provider: str) -> None:
    """Keep a fresh answer; failures are not kept, so the next run asks again."""
    if outcome.status != "answered":
        return
    cache.put(question.key, {
        "text": outcome.text, "model": model, "provider": provider, "prompt": question.prompt,
        "crop_sha256": crop_digest(question.png),
        "usage": {"prompt_tokens": outcome.prompt_tokens, "completion_tokens": outcome.completion_tokens},
    })


def attach(instances: Instances, plan: Plan, outcomes: dict[int, Outcome], *, classes: Sequence[str],
           use: str, source: str) -> Instances:
    """A copy of ``instances`` with the answers as labels and/or descriptions and a ``source``
    entry in each instance's ``extra`` (structured, problem, cached; or why it has no answer)."""
    n = len(instances)
    labels = list(instances.labels) or [""] * n
    descriptions = list(instances.descriptions) or [""] * n
    extra = [dict(e) for e in instances.extra] or [{} for _ in range(n)]
    class_ids = instances.class_ids.copy()
    classes_map = dict(instances.classes)
    use_labels = use in ("both", "label")
    if classes and use_labels:
        classes_map = {i + 1: name for i, name in enumerate(classes)}
    for index in plan.empty:
        extra[index][source] = {"skipped": "the mask is empty"}
    for index in plan.beyond_limit:
        extra[index][source] = {"skipped": "beyond max_crops"}
    for question in plan.questions:
        outcome = outcomes.get(question.index)
        if outcome is None or outcome.status == "failed":
            extra[question.index][source] = {"error": outcome.error if outcome else "not asked"}
            continue
        answer: Answer = parse_answer(outcome.text, classes)
        if use_labels and answer.label is not None:
            labels[question.index] = answer.label
            if classes:
                class_ids[question.index] = classes.index(answer.label) + 1 if answer.label in classes else 0
        if use in ("both", "description"):
            descriptions[question.index] = answer.description
        extra[question.index][source] = {"structured": answer.structured, "problem": answer.problem,
                                         "cached": outcome.status == "cached"}
    return Instances(instances.masks, class_ids, instances.scores.copy(), labels, descriptions, classes_map, extra)


def usage_table(instances: Instances, plan: Plan, outcomes: dict[int, Outcome], *, source: str) -> Table:
    """Per instance: how it was answered, requests made now, tokens spent now, label, problem."""
    rows = []
    status = {i: "empty mask" for i in plan.empty} | {i: "beyond max_crops" for i in plan.beyond_limit}
    for index in range(len(instances)):
        outcome = outcomes.get(index)
        facts = (instances.extra[index] if instances.extra else {}).get(source, {})
        problem = facts.get("problem") or facts.get("error") or ""
        rows.append({
            "instance": index + 1,
            "status": outcome.status if outcome else status.get(index, "not asked"),
            "requests": outcome.requests if outcome else 0,
            "prompt_tokens": (outcome.prompt_tokens or 0) if outcome else 0,
            "completion_tokens": (outcome.completion_tokens or 0) if outcome else 0,
            "label": instances.labels[index] if instances.labels else "",
            "problem": problem or "",
        })
    if not rows:
        return Table({name: [] if name in ("status", "label", "problem") else np.zeros(0, np.int64)
                      for name in ("instance", "status", "requests", "prompt_tokens", "completion_tokens", "label", "problem")})
    return Table.from_rows(rows)


def summary_line(plan: Plan, outcomes: dict[int, Outcome], *, where: str) -> str:
    """The cost of the run in one line, e.g. for the log and the CLI."""
    values = list(outcomes.values())
    requests = sum(o.requests for o in values)
    answered = sum(o.status == "answered" for o in values)
    hits = sum(o.status == "cached" for o in values)
    failed = sum(o.status == "failed" for o in values)
    reported = [o for o in values if o.prompt_tokens is not None or o.completion_tokens is not None]
    tokens = (f"{sum(o.prompt_tokens or 0 for o in reported)} prompt + "
              f"{sum(o.completion_tokens or 0 for o in reported)} completion tokens" if reported
              else "no tokens spent" if not requests else "no token counts reported")
    line = (f"{len(plan.questions)} crops to {where}: {requests} requests ({answered} answered, "
            f"{requests - answered - failed} retries), {hits} cache hits, {failed} failed; {tokens}")
    if plan.beyond_limit:
        line += f"; {len(plan.beyond_limit)} instances beyond max_crops left unlabelled"
    return line


def crop_mosaic(plan: Plan, *, cell: int = 160) -> Image:
    """The crops the model saw side by side, each numbered like the reports (D1, D2 …)."""
    import cv2

    if not plan.questions:
        return Image(np.full((cell, cell, 3), 48, np.uint8), {"crops": 0})
    columns = math.ceil(math.sqrt(len(plan.questions)))
    rows = math.ceil(len(plan.questions) / columns)
    mosaic = np.full((rows * cell, columns * cell, 3), 32, np.uint8)
    for n, question in enumerate(plan.questions):
        tile = _opaque(question.crop)
        scale = min((cell - 4) / tile.shape[1], (cell - 4) / tile.shape[0])
        size = (max(1, int(tile.shape[1] * scale)), max(1, int(tile.shape[0] * scale)))
        tile = cv2.resize(tile, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST)
        y, x = (n // columns) * cell + 2, (n % columns) * cell + 2
        mosaic[y:y + tile.shape[0], x:x + tile.shape[1]] = tile
        text = f"D{question.index + 1}"
        cv2.putText(mosaic, text, (x + 3, y + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(mosaic, text, (x + 3, y + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 0), 1, cv2.LINE_AA)
    return Image(mosaic, {"crops": len(plan.questions), "instances": [q.index for q in plan.questions]})


def write_debug(folder: Path, plan: Plan, outcomes: dict[int, Outcome]) -> None:
    """The exact PNGs sent (``D001.png`` …) and ``answers.json`` (prompt, status, raw answer)."""
    folder.mkdir(parents=True, exist_ok=True)
    index = []
    for question in plan.questions:
        name = f"D{question.index + 1:03d}.png"
        (folder / name).write_bytes(question.png)
        outcome = outcomes.get(question.index)
        index.append({"instance": question.index + 1, "crop": name, "prompt": question.prompt,
                      "status": outcome.status if outcome else "not asked",
                      "answer": outcome.text if outcome else "", "error": outcome.error if outcome else None})
    (folder / "answers.json").write_text(json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8")


def rgb_for_model(crop: np.ndarray) -> np.ndarray:
    """An RGB picture of a crop for models that take no alpha (transparent parts turn grey)."""
    return _opaque(crop, grey=128)


def _opaque(crop: np.ndarray, grey: int = 96) -> np.ndarray:
    if crop.shape[2] == 3:
        return crop
    alpha = crop[..., 3:4].astype(np.float32) / 255.0
    return (crop[..., :3] * alpha + grey * (1 - alpha)).astype(np.uint8)
