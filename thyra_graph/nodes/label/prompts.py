"""What a vision-language model is asked about one instance, and how its answer is read back.

Shared by ``label.vlm`` (HTTP servers) and ``label.local_vlm`` (local transformers models).
A template may hold ``{classes}`` (the class list, comma separated) and ``{index}`` (the
instance's number, 1-based as in the reports' D1, D2 …); any other braces are left alone, so a
template can show the model a literal JSON example.

With a class list the model is asked for JSON ``{"label": …, "description": …}``; the answer
is read tolerantly (code fences, prose around the object, a label differing only in case or a
plural) and checked against the list. What does not fit is kept as free text and flagged with
the reason, never dropped.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

DESCRIBE_PROMPT = (
    "The image shows one object, highlighted; anything darkened or transparent around it is only "
    "context. Describe the highlighted object in one or two sentences: what it is, its colour, "
    "material and any notable details.")

CLASSIFY_PROMPT = (
    "The image shows one object, highlighted; anything darkened or transparent around it is only "
    "context. Which of these classes is the highlighted object: {classes}?")

JSON_INSTRUCTION = (
    'Answer with JSON only, no other text: {"label": "<one of: {classes}>", '
    '"description": "<one sentence describing the object>"}')

#: Keys a model may use for the label or the description in its JSON (models paraphrase).
_LABEL_KEYS = ("label", "class", "category", "name", "object")
_DESCRIPTION_KEYS = ("description", "desc", "details", "caption")
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Answer:
    """A model's answer about one instance.

    ``label`` is a class from the list when one was given and matched; otherwise the model's
    own short answer (flagged in ``problem`` when a class was expected). ``structured`` says the
    answer was JSON; ``problem`` says in a sentence what did not fit, or is None.
    """

    label: str | None
    description: str
    structured: bool
    problem: str | None = None


def build_prompt(template: str, classes: Sequence[str], index: int) -> str:
    """The full prompt for instance ``index`` (0-based): the template with its placeholders filled.

    An empty template means the default: describe the object, or, with classes, pick one. With
    classes the JSON instruction is appended unless the template already asks for JSON.
    """
    template = template.strip()
    if not template:
        template = CLASSIFY_PROMPT if classes else DESCRIBE_PROMPT
    if classes and "json" not in template.lower():
        template = f"{template} {JSON_INSTRUCTION}"
    names = ", ".join(classes)
    return template.replace("{classes}", names).replace("{index}", str(index + 1))


def parse_answer(text: str, classes: Sequence[str] = ()) -> Answer:
    """Read a model's answer: JSON when it gave some, else free text.

    With ``classes`` the label must be one of them (case and plural forgiven, a near miss
    corrected); a label outside the list, or an answer that is not JSON, is kept as free text
    with ``problem`` saying so.
    """
    text = (text or "").strip()
    found = extract_json_object(text)
    if found is not None:
        label = _first_text(found, _LABEL_KEYS)
        description = _first_text(found, _DESCRIPTION_KEYS) or ""
        if not classes:
            return Answer(label or short_label(description), description or (label or ""), True)
        if label is None:
            mentioned = _mentioned_class(description, classes)
            return Answer(mentioned, description, True, "the JSON answer has no \"label\""
                          + (f"; {mentioned!r} found in its description" if mentioned else ""))
        matched = match_class(label, classes)
        if matched is None:
            return Answer(label, description, True, f"label {label!r} is not one of the classes ({', '.join(classes)})")
        return Answer(matched, description, True)
    if not text:
        return Answer(None, "", False, "the model gave an empty answer")
    if not classes:
        return Answer(short_label(text), text, False)
    mentioned = _mentioned_class(text, classes)
    if mentioned is not None:
        return Answer(mentioned, text, False, f"the answer was not JSON; class {mentioned!r} found in its text")
    return Answer(short_label(text), text, False, "the answer was not JSON and names none of the classes")


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text``: inside a code fence, after leading prose, or bare."""
    candidates = [block for block in _FENCE.findall(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, char in enumerate(candidate) if char == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def match_class(label: str, classes: Sequence[str]) -> str | None:
    """The class ``label`` names: exact, then ignoring case, spaces and a plural 's', then a near miss."""
    wanted = _norm(label)
    by_norm = {_norm(name): name for name in classes}
    if wanted in by_norm:
        return by_norm[wanted]
    singular = {name.rstrip("s"): original for name, original in by_norm.items()}
    if wanted.rstrip("s") in singular:
        return singular[wanted.rstrip("s")]
    close = difflib.get_close_matches(wanted, list(by_norm), n=1, cutoff=0.85)
    return by_norm[close[0]] if close else None


def short_label(text: str, max_chars: int = 60) -> str:
    """A label from free text: its first sentence without trailing punctuation, at most ``max_chars``."""
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0].strip().rstrip(".!?").strip()
    return first if len(first) <= max_chars else first[:max_chars - 1].rstrip() + "…"


def _norm(name: str) -> str:
    return " ".join(str(name).lower().replace("_", " ").replace("-", " ").split())


def _first_text(found: dict[str, Any], keys: Sequence[str]) -> str | None:
    lowered = {str(k).lower(): v for k, v in found.items()}
    for key in keys:
        value = lowered.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _mentioned_class(text: str, classes: Sequence[str]) -> str | None:
    """The one class named as a word in ``text``; None when none or several are."""
    hits = [name for name in classes
            if re.search(rf"\b{re.escape(_norm(name))}s?\b", _norm(text))]
    return hits[0] if len(hits) == 1 else None
