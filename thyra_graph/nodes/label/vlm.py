"""label.vlm: name and describe instances with a vision-language model behind an
OpenAI-compatible chat-completions server (LM Studio, Ollama, vLLM, llama.cpp, OpenAI)."""

from __future__ import annotations

from typing import Any

from thyra_graph.engine.declaration import Destination, Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Instances, Table, Text

from .crops import BACKGROUNDS
from .labelling import USES, Outcome

SOURCE = "vlm"


def _destinations(params: dict[str, Any]) -> list[Destination]:
    """The one server this node talks to: base_url, else the user's OPENAI_BASE_URL or LM Studio's default."""
    from .openai_client import resolve_base_url

    chosen_by = "graph" if (params.get("base_url") or "").strip() else "user"
    return [Destination(resolve_base_url(params.get("base_url") or ""), chosen_by=chosen_by,
                        secret=(params.get("secret") or "").strip() or None, note="image crops and prompts")]


def _server_and_model(params: dict[str, Any]) -> str:
    """External state the answers depend on: the server and model actually used (the user's
    OPENAI_BASE_URL / THYRA_VLM_MODEL when the params leave them empty)."""
    from .openai_client import resolve_base_url, resolve_model

    return f"{resolve_base_url(params.get('base_url') or '')}|{resolve_model(params.get('model') or '')}"


def _drop_api_key_env(params: dict[str, Any]) -> dict[str, Any]:
    """Version 1 named any environment variable as the key (a graph could send GITHUB_TOKEN anywhere)."""
    variable = params.pop("api_key_env", "OPENAI_API_KEY")
    if variable not in ("", "OPENAI_API_KEY") and not params.get("secret"):
        raise ValueError(f"api_key_env ({variable!r}) is gone: a graph file may not pick an environment variable "
                         f"to send. Bind the key in your user config (secrets: {{mykey: {{env: {variable}, hosts: "
                         "[HOST]}}}}) and set secret: mykey on this node (see SECURITY.md)")
    return params


@node(
    "label.vlm", title="Label with VLM", category="label", version=2, migrations={1: _drop_api_key_env}, destinations=_destinations,
    # A model's answer is one draw: cached like any result (so what follows caches too), keyed
    # by the server and model really used; its answer cache retries only what failed.
    deterministic=False, fingerprint=_server_and_model,
    inputs=[
        Input("image", Image, help="the image the instances were segmented from"),
        Input("instances", Instances, help="the regions to name or describe"),
    ],
    params=[
        Param("base_url", "", help="the server's OpenAI-compatible root, e.g. http://localhost:1234/v1 "
              "(empty: env OPENAI_BASE_URL, else LM Studio's http://localhost:1234/v1)"),
        Param("model", "", help="the model name the server knows (empty: env THYRA_VLM_MODEL, else the server's loaded model, as LM Studio allows)"),
        Param("secret", "", help="the name of the API key to send, bound to its hosts in your user config or "
              "THYRA_SECRET_<NAME> (empty: no key, as local servers need); see SECURITY.md"),
        Param("prompt", "", help="the question per crop; {classes} and {index} are filled in (empty: describe, or pick a class)"),
        Param("classes", [], kind="json", items="text", help="class names to choose from, e.g. [car, tree]; asks for a JSON answer and checks it"),
        Param("use", "both", choices=USES, help="what to fill in from the answer: labels, descriptions or both"),
        Param("padding", 0.15, min=0.0, max=2.0, step=0.05, help="context around the mask, as a fraction of its box"),
        Param("max_side", 512, min=32, max=4096, help="crops are shrunk to this longer side (smaller costs fewer tokens)"),
        Param("background", "dim", choices=BACKGROUNDS, help="what happens outside the mask: dimmed, transparent, black or kept"),
        Param("max_crops", 50, min=0, optional=True, help="at most this many instances are sent per run (cost limit; empty: no limit)"),
        Param("concurrency", 4, affects_result=False, min=1, max=64, help="requests in flight at once"),
        Param("timeout", 60.0, affects_result=False, min=1.0, max=3600.0, help="seconds to wait for one answer"),
        Param("retries", 3, affects_result=False, min=0, max=10, help="extra attempts after a timeout, a lost connection or HTTP 429/5xx"),
        Param("json_mode", False, help="ask the server for JSON output (response_format); many local servers reject it"),
        Param("temperature", 0.0, min=0.0, max=2.0, step=0.1, help="sampling temperature (0: the most likely answer)"),
        Param("max_tokens", 300, min=1, max=16384, help="longest answer, in tokens"),
        Param("debug_dir", None, kind="path", optional=True, affects_result=False,
              help="a folder to save the exact crops sent (D001.png …) and answers.json, to check what the model saw"),
    ],
    outputs=[
        Output("instances", Instances, help="the instances with labels/descriptions; extra['vlm'] flags doubtful answers"),
        Output("crops", Image, help="the crops the model saw, numbered D1, D2 …"),
        Output("usage", Table, help="per instance: answered/cached/failed, requests and tokens spent in this run"),
        Output("cost", Text, help="this run's cost in one line: requests, cache hits, failures, tokens"),
    ],
)
def vlm(image: Image, instances: Instances, *, base_url: str, model: str, secret: str,
        prompt: str, classes: list, use: str, padding: float, max_side: int, background: str,
        max_crops: int | None, concurrency: int, timeout: float, retries: int, json_mode: bool,
        temperature: float, max_tokens: int, debug_dir: str | None, ctx) -> dict:
    """Name or describe each instance by showing its crop to a vision-language model on a server.

    Each instance is cropped around its mask (outside dimmed), sent with the prompt, and the
    answer attached as its label and/or description. Answers are cached on crop, prompt and
    model, so re-running costs nothing; a failed request is retried on the next run. The API key
    is a named secret the user bound to the server's host, never a value in the graph file.

    Example: ``{type: label.vlm, inputs: {image: load.image, instances: sam.instances},
    params: {model: qwen2-vl-7b-instruct, classes: [car, person, tree]}}``
    """
    from contextlib import closing

    from .answer_cache import AnswerCache
    from .labelling import (attach, check_classes, crop_mosaic, look_up, plan_questions, remember, summary_line,
                            usage_table, write_debug)
    from .openai_client import ChatClient, ChatFailure, display_url, resolve_api_key, resolve_base_url, resolve_model

    names = check_classes(classes)
    url = resolve_base_url(base_url)
    model = resolve_model(model)
    api_key = resolve_api_key(secret, url)
    settings = {"temperature": temperature, "max_tokens": max_tokens, "json_mode": json_mode}
    plan = plan_questions(image, instances, template=prompt, classes=names, model=model, settings=settings,
                          padding=padding, max_side=max_side, background=background, max_crops=max_crops)
    cache = AnswerCache.for_context(ctx)
    outcomes = look_up(plan, cache)
    todo = [q for q in plan.questions if q.index not in outcomes]
    client = ChatClient(url, model, api_key=api_key, timeout=timeout, retries=retries, json_mode=json_mode,
                        temperature=temperature, max_tokens=max_tokens)
    shown = display_url(url)
    done = 0
    # closing(): a cancelled run drops the queued requests at once, not when the generator is collected.
    with client, closing(client.map(
            ((q.png, q.prompt) for q in todo), concurrency=concurrency, check=ctx.check_cancelled)) as answers:
        for position, result in answers:
            question = todo[position]
            if isinstance(result, ChatFailure):
                outcome = Outcome("failed", error=str(result), requests=result.attempts)
            else:
                outcome = Outcome("answered", result.text, requests=result.attempts,
                                  prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens)
                remember(cache, question, outcome, model=model, provider=shown)  # kept as it arrives
            outcomes[question.index] = outcome
            done += 1
            ctx.progress(done, len(todo), f"D{question.index + 1}")
    labelled = attach(instances, plan, outcomes, classes=names, use=use, source=SOURCE)
    if debug_dir:
        write_debug(ctx.resolve(debug_dir), plan, outcomes)
    line = summary_line(plan, outcomes, where=f"{model or 'the loaded model'} at {shown}")
    ctx.log.info("%s: %s", ctx.node_id, line)
    ctx.progress(max(1, len(todo)), max(1, len(todo)), line)  # the cost, where progress is shown
    failed = [q.index for q in plan.questions if outcomes[q.index].status == "failed"]
    if failed and len(failed) == len(plan.questions):
        first = outcomes[failed[0]].error
        raise NodeError(f"label.vlm could not label any of the {len(failed)} instances: every request to {shown} failed "
                        f"(first: {first}). Start the server (in LM Studio: load a vision model and start the local "
                        "server) or correct base_url and model; answers already received are cached, so nothing is "
                        "asked twice when you run again.")
    if failed:
        ctx.warn(f"{len(failed)} of {len(plan.questions)} instances got no answer from {shown} and stay unlabelled "
                 f"(D{', D'.join(str(i + 1) for i in failed[:10])}{' …' if len(failed) > 10 else ''}; first error: "
                 f"{outcomes[failed[0]].error}); run again to ask only for these")
    if plan.beyond_limit:
        ctx.warn(f"max_crops is {max_crops}: {len(plan.beyond_limit)} of {len(instances)} instances were not sent "
                 "and stay unlabelled; raise max_crops to label them")
    return {"instances": labelled, "crops": crop_mosaic(plan), "usage": usage_table(labelled, plan, outcomes, source=SOURCE),
            "cost": Text(line)}
