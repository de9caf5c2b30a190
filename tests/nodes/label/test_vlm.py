"""label.vlm: crops of instances sent to an OpenAI-compatible server (the loopback test double)."""

from __future__ import annotations

import json
import logging
import time

import cv2
import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.store import Store
from thyra_graph.engine.declaration import NodeError, Output, node
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.registry import Registry
from thyra_graph.engine.resources import ResourceCache
from thyra_graph.types import Image, Instances
from thyra_graph.nodes.label.vlm import vlm

from .chat_server import ChatServer, closed_port_url, reply, stall, status
from .conftest import scene

KEY = "sk-live-DO-NOT-LEAK-4242"
CLASSES = ["disc", "square", "bar"]


@pytest.fixture
def server():
    with ChatServer(default=reply('{"label": "disc", "description": "A round red thing."}')) as running:
        yield running


@pytest.fixture
def ctx(tmp_path):
    """A run context with a disk-cache folder, as the executor gives one."""
    return Context("labels", "label.vlm", resources=ResourceCache(), store=Store(tmp_path / "node-data"))


def run(image, instances, server_or_url, ctx, **params):
    url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
    params.setdefault("model", "test-vlm")
    params.setdefault("retries", 0)
    return vlm(image, instances, base_url=url, ctx=ctx, **params)


def answer_by_colour(request):
    """Answers naming the crop's dominant colour: each instance gets its own answer."""
    png = np.frombuffer(request.image_png(), np.uint8)
    crop = cv2.imdecode(png, cv2.IMREAD_COLOR)[..., ::-1].reshape(-1, 3).astype(int)
    r, g, b = crop[np.argmax(crop.max(axis=1) - crop.min(axis=1))]
    label = {0: "disc", 1: "square", 2: "bar"}[int(np.argmax([r, g, b]))]
    return reply(json.dumps({"label": label, "description": f"a {label}"}), prompt_tokens=50, completion_tokens=5)(request)


def test_each_instance_gets_the_label_and_description_of_its_own_crop(server, ctx, scene_image, scene_instances):
    server.default = answer_by_colour
    out = run(scene_image, scene_instances, server, ctx, classes=CLASSES)
    labelled = out["instances"]
    labelled.validate()
    assert labelled.labels == ["disc", "square", "bar"]
    assert labelled.descriptions == ["a disc", "a square", "a bar"]
    assert labelled.classes == {1: "disc", 2: "square", 3: "bar"}
    assert labelled.class_ids.tolist() == [1, 2, 3]
    assert [e["vlm"] for e in labelled.extra] == [{"structured": True, "problem": None, "cached": False}] * 3
    assert len(server.requests) == 3
    assert all("disc, square, bar" in r.prompt and "JSON" in r.prompt for r in server.requests)


def test_the_model_sees_a_png_crop_of_the_object_with_its_surroundings_dimmed(server, ctx, scene_image, scene_instances):
    run(scene_image, Instances(scene_instances.masks[:1]), server, ctx)
    crop = cv2.imdecode(np.frombuffer(server.requests[0].image_png(), np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    assert crop.shape[0] < 60 and crop.shape[1] < 60  # the disc's box with padding, not the whole image
    assert tuple(crop[crop.shape[0] // 2, crop.shape[1] // 2]) == (220, 30, 30)
    assert tuple(crop[0, 0]) == (60, 60, 60)  # grey 200 outside the mask, dimmed to 30 %


def test_use_label_leaves_descriptions_alone_and_use_description_labels(server, ctx, scene_image, scene_instances):
    only_labels = run(scene_image, scene_instances, server, ctx, use="label")["instances"]
    assert only_labels.labels == ["disc"] * 3 and only_labels.descriptions == [""] * 3
    only_descriptions = run(scene_image, scene_instances, server, ctx, use="description")["instances"]
    assert only_descriptions.labels == [""] * 3 and only_descriptions.descriptions == ["A round red thing."] * 3


def test_a_malformed_json_answer_falls_back_to_free_text_and_is_flagged(server, ctx, scene_image, scene_instances):
    server.script(reply('{"label": "disc", "description": "cut off'), reply("I think it is a square."))
    out = run(scene_image, scene_instances, server, ctx, classes=CLASSES, concurrency=1)
    extra = [e["vlm"] for e in out["instances"].extra]
    assert [e["structured"] for e in extra] == [False, False, True]
    assert "not JSON" in extra[0]["problem"] and "not JSON" in extra[1]["problem"]
    assert out["instances"].labels[1] == "square"  # the one class its prose names
    assert out["instances"].descriptions[1] == "I think it is a square."
    problems = list(out["usage"]["problem"])
    assert "not JSON" in problems[0] and problems[2] == ""


def test_http_429_and_500_are_retried_and_every_instance_is_labelled(server, ctx, scene_image, scene_instances):
    server.script(status(429, retry_after="0"), status(500))
    out = run(scene_image, scene_instances, server, ctx, retries=2, concurrency=1)
    assert out["instances"].labels == ["disc"] * 3
    assert len(server.requests) == 5
    assert int(np.sum(out["usage"]["requests"])) == 5


def test_a_timed_out_instance_stays_unlabelled_with_the_reason_while_the_others_are_labelled(
        server, ctx, scene_image, scene_instances):
    server.script(stall(3.0))
    out = run(scene_image, scene_instances, server, ctx, timeout=1.0, concurrency=1)
    labelled = out["instances"]
    failed = [i for i, e in enumerate(labelled.extra) if "error" in e["vlm"]]
    assert len(failed) == 1 and "timeout" in labelled.extra[failed[0]]["vlm"]["error"]
    assert labelled.labels[failed[0]] == "" and sorted(labelled.labels)[1:] == ["disc", "disc"]
    assert list(out["usage"]["status"]).count("failed") == 1
    assert any("1 of 3 instances got no answer" in w and "run again" in w for w in ctx.warnings)


def test_with_the_server_down_the_node_fails_naming_the_url_and_the_fix(ctx, scene_image, scene_instances, monkeypatch):
    monkeypatch.setenv("THYRA_SECRET_LAB", KEY)  # bound to loopback, where the closed port is
    url = closed_port_url()
    with pytest.raises(NodeError) as caught:
        run(scene_image, scene_instances, url, ctx, retries=1, secret="lab")
    message = str(caught.value)
    assert url in message and "cannot connect" in message and "LM Studio" in message and "base_url" in message
    assert KEY not in message


def test_answers_received_before_the_server_went_down_are_not_lost(server, ctx, scene_image, scene_instances):
    first_two = Instances(scene_instances.masks[:2])
    run(scene_image, first_two, server, ctx)
    url = server.url
    server.stop()
    out = run(scene_image, scene_instances, url, ctx)  # the server is down now
    labelled = out["instances"]
    assert labelled.labels[:2] == ["disc", "disc"] and labelled.labels[2] == ""
    assert [e["vlm"].get("cached") for e in labelled.extra[:2]] == [True, True]
    assert "cannot connect" in labelled.extra[2]["vlm"]["error"]
    with ChatServer(default=reply('{"label": "bar"}')) as back:
        again = run(scene_image, scene_instances, back, ctx)
        assert len(back.requests) == 1  # only the instance that failed is asked again
    assert again["instances"].labels == ["disc", "disc", "bar"]


def test_a_second_run_is_answered_from_the_cache_without_any_request(server, ctx, scene_image, scene_instances):
    run(scene_image, scene_instances, server, ctx)
    assert len(server.requests) == 3
    out = run(scene_image, scene_instances, server, ctx)
    assert len(server.requests) == 3
    assert list(out["usage"]["status"]) == ["cached"] * 3 and int(np.sum(out["usage"]["requests"])) == 0
    assert out["instances"].labels == ["disc"] * 3


def test_the_cache_survives_a_new_process_and_a_changed_prompt_asks_again(server, tmp_path, scene_image, scene_instances):
    cache_dir = tmp_path / "node-data"
    run(scene_image, scene_instances, server, Context("a", "label.vlm", store=Store(cache_dir)))
    fresh = Context("b", "label.vlm", resources=ResourceCache(), store=Store(cache_dir))  # nothing in memory
    run(scene_image, scene_instances, server, fresh)
    assert len(server.requests) == 3
    run(scene_image, scene_instances, server, fresh, prompt="Name the object in one word.")
    assert len(server.requests) == 6


def test_the_store_holds_one_answer_record_per_crop_without_the_key(
        server, ctx, scene_image, scene_instances, monkeypatch):
    monkeypatch.setenv("THYRA_SECRET_LAB", KEY)  # bound to loopback, where the test server is
    run(scene_image, scene_instances, server, ctx, secret="lab")
    files = sorted((ctx.store.base / "memo-vlm-answers").rglob("*.thyra"))
    assert len(files) == 3
    record, _ = ctx.memo.get("vlm-answers", files[0].stem)
    assert record["text"] == '{"label": "disc", "description": "A round red thing."}'
    assert record["model"] == "test-vlm" and record["provider"] == server.url
    assert len(record["crop_sha256"]) == 64 and record["usage"]["prompt_tokens"] == 100
    assert all(KEY.encode() not in f.read_bytes() for f in files)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_failed_requests_are_not_cached(server, ctx, scene_image, scene_instances):
    server.script(status(503))
    run(scene_image, scene_instances, server, ctx, concurrency=1)
    assert len(list((ctx.store.base / "memo-vlm-answers").rglob("*.thyra"))) == 2


def test_max_crops_sends_only_that_many_and_warns_about_the_rest(server, ctx, scene_image, scene_instances):
    out = run(scene_image, scene_instances, server, ctx, max_crops=2)
    assert len(server.requests) == 2
    labelled = out["instances"]
    assert labelled.labels == ["disc", "disc", ""]
    assert labelled.extra[2]["vlm"] == {"skipped": "beyond max_crops"}
    assert list(out["usage"]["status"]) == ["answered", "answered", "beyond max_crops"]
    assert any("max_crops is 2" in w for w in ctx.warnings)


def test_the_summary_line_in_the_log_shows_requests_cache_hits_and_tokens(
        server, ctx, scene_image, scene_instances, caplog):
    with caplog.at_level(logging.INFO, logger="thyra.node.label.vlm"):
        run(scene_image, scene_instances, server, ctx)
        run(scene_image, scene_instances, server, ctx)
    lines = [r.getMessage() for r in caplog.records if r.name == "thyra.node.label.vlm"]
    assert "3 requests" in lines[0] and "0 cache hits" in lines[0] and "300 prompt + 30 completion tokens" in lines[0]
    assert "0 requests" in lines[1] and "3 cache hits" in lines[1]


def test_the_crops_output_shows_every_crop_sent_and_debug_dir_keeps_the_exact_pngs(
        server, ctx, tmp_path, scene_image, scene_instances):
    out = run(scene_image, scene_instances, server, ctx, debug_dir=str(tmp_path / "seen"))
    mosaic = out["crops"]
    mosaic.validate()
    assert mosaic.meta == {"crops": 3, "instances": [0, 1, 2]} and mosaic.data.shape[0] >= 160
    saved = sorted(p.name for p in (tmp_path / "seen").iterdir())
    assert saved == ["D001.png", "D002.png", "D003.png", "answers.json"]
    sent = {r.image_png() for r in server.requests}
    assert {(tmp_path / "seen" / name).read_bytes() for name in saved[:3]} == sent
    index = json.loads((tmp_path / "seen" / "answers.json").read_text(encoding="utf-8"))
    assert [row["status"] for row in index] == ["answered"] * 3 and "Describe" in index[0]["prompt"]


def test_transparent_background_sends_an_rgba_png(server, ctx, scene_image, scene_instances):
    run(scene_image, Instances(scene_instances.masks[:1]), server, ctx, background="transparent")
    crop = cv2.imdecode(np.frombuffer(server.requests[0].image_png(), np.uint8), cv2.IMREAD_UNCHANGED)
    assert crop.shape[2] == 4 and crop[0, 0, 3] == 0


def test_an_empty_mask_is_skipped_without_a_request(server, ctx, scene_image, scene_instances):
    masks = np.concatenate([scene_instances.masks[:1], np.zeros((1, 96, 128), bool)])
    out = run(scene_image, Instances(masks), server, ctx)
    assert len(server.requests) == 1 and out["instances"].extra[1]["vlm"] == {"skipped": "the mask is empty"}


def test_instances_from_another_image_size_are_refused_clearly(server, ctx, scene_image):
    with pytest.raises(NodeError, match="segmented from"):
        run(scene_image, Instances(np.ones((1, 10, 10), bool)), server, ctx)


def test_classes_must_be_a_list_of_names(server, ctx, scene_image, scene_instances):
    with pytest.raises(NodeError, match="list of class names"):
        run(scene_image, scene_instances, server, ctx, classes=[1, 2])


# -- in a graph run by the engine ------------------------------------------------------------

@node("test.scene", outputs=[Output("image", Image), Output("instances", Instances)])
def scene_source() -> dict:
    """The labelling test scene."""
    rgb, masks = scene()
    return {"image": Image(rgb), "instances": Instances(masks)}


def test_the_api_key_appears_in_no_graph_file_cache_entry_log_line_or_warning(
        server, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("LAB_VLM_KEY", KEY)
    config = tmp_path / "config.yaml"
    config.write_text("secrets:\n  lab: {env: LAB_VLM_KEY, hosts: [127.0.0.1]}\n", encoding="utf-8")
    monkeypatch.setenv("THYRA_CONFIG", str(config))
    registry = Registry()
    registry.add(scene_source)
    registry.add(vlm)
    graph = Graph(registry, name="labels", base_dir=tmp_path)
    graph.add_node("test.scene", "scene")
    graph.add_node("label.vlm", "labels", params={"base_url": server.url, "model": "test-vlm",
                                                  "secret": "lab", "max_crops": 2})
    graph.connect("scene.image", "labels.image")
    graph.connect("scene.instances", "labels.instances")
    saved = graph.save(tmp_path / "labels.yaml")
    executor = Executor(disk=DiskCache(tmp_path / "cache"))
    with caplog.at_level(logging.DEBUG):
        result = executor.run(graph, ["labels"])
    assert result.ok, {n: r.error for n, r in result.nodes.items() if r.error}
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert result.outputs["labels.instances"].labels == ["disc", "disc", ""]
    assert KEY not in saved.read_text(encoding="utf-8") and "secret: lab" in saved.read_text(encoding="utf-8")
    assert (tmp_path / "cache" / "v2" / "memo-vlm-answers").is_dir()
    for file in (tmp_path / "cache").rglob("*"):
        if file.is_file():
            assert KEY.encode() not in file.read_bytes(), file
    assert all(KEY not in record.getMessage() for record in caplog.records)
    assert all(KEY not in w for r in result.nodes.values() for w in r.warnings)


def test_the_cost_summary_is_the_last_progress_message(server, tmp_path, scene_image, scene_instances):
    messages = []
    ctx = Context("labels", "label.vlm", store=Store(tmp_path), on_progress=lambda node, done, total, text: messages.append(text))
    run(scene_image, scene_instances, server, ctx)
    assert messages[:-1] and all(m.startswith("D") for m in messages[:-1])
    assert "3 requests" in messages[-1] and "tokens" in messages[-1]


def test_cancelling_stops_sending_and_keeps_the_answers_already_received(server, tmp_path, scene_image, scene_instances):
    import threading

    from thyra_graph.engine.context import Cancelled

    server.default = stall(0.3, server.default)  # the second request is still out when the first answer lands
    cancel = threading.Event()
    ctx = Context("labels", "label.vlm", store=Store(tmp_path), cancel_event=cancel,
                  on_progress=lambda *args: cancel.set())  # cancel as soon as the first answer is in
    with pytest.raises(Cancelled):
        run(scene_image, scene_instances, server, ctx, concurrency=1)
    time.sleep(0.4)
    # Closing the client may cut the in-flight request short (recorded with no body).
    assert len([r for r in server.requests if r.body]) <= 2  # the third was never sent
    assert len(list((tmp_path / "v2" / "memo-vlm-answers").rglob("*.thyra"))) >= 1


def test_a_class_named_twice_is_refused_as_by_label_clip():
    from thyra_graph.nodes.label.labelling import check_classes

    with pytest.raises(NodeError, match="'car' more than once"):
        check_classes(["car", "tree", "car"])
    assert check_classes("car, tree") == ["car", "tree"]


def test_the_server_address_and_model_may_come_from_the_environment(server, ctx, scene_image, scene_instances,
                                                                     monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("THYRA_VLM_MODEL", "env-model")
    vlm(scene_image, scene_instances, base_url="", model="", retries=0, ctx=ctx)
    assert {r.body["model"] for r in server.requests} == {"env-model"}
    monkeypatch.delenv("THYRA_VLM_MODEL")
    vlm(scene_image, scene_instances, base_url="", model="", prompt="Name it.", retries=0, ctx=ctx)
    assert all("model" not in r.body for r in server.requests[len(scene_instances):])  # the server's loaded model
