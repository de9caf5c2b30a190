"""label.local_vlm: the same labelling through a local transformers model (a tiny random LLaVA)."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.models.loading import ModelIdentity

pytest.importorskip("torch")
pytest.importorskip("transformers")

from thyra_graph.engine.context import Context  # noqa: E402
from thyra_graph.engine.declaration import NodeError  # noqa: E402
from thyra_graph.engine.resources import ResourceCache  # noqa: E402
from thyra_graph.engine.store import Store  # noqa: E402
from thyra_graph.nodes.label.local_vlm import DEFAULT_MODEL, local_vlm  # noqa: E402
from thyra_graph.types import Instances  # noqa: E402


@pytest.fixture
def ctx(tmp_path):
    return Context("describe", "label.local_vlm", resources=ResourceCache(), store=Store(tmp_path / "node-data"))


def run(image, instances, ctx, **params):
    params.setdefault("device", "cpu")
    params.setdefault("max_new_tokens", 6)
    return local_vlm(image, instances, ctx=ctx, **params)


def test_every_instance_gets_the_models_answer_as_description(use_tiny_models, ctx, scene_image, scene_instances):
    out = run(scene_image, scene_instances, ctx)
    labelled = out["instances"]
    labelled.validate()
    assert len(labelled.descriptions) == 3 and all(labelled.descriptions)
    assert all(label for label in labelled.labels)
    assert [e["local_vlm"]["cached"] for e in labelled.extra] == [False] * 3
    usage = out["usage"]
    assert list(usage["status"]) == ["answered"] * 3
    assert all(0 < n <= 6 for n in usage["completion_tokens"]) and all(n > 4 for n in usage["prompt_tokens"])


def test_random_answers_to_a_class_question_are_kept_as_free_text_and_flagged(
        use_tiny_models, ctx, scene_image, scene_instances):
    out = run(scene_image, scene_instances, ctx, classes=["disc", "square", "bar"], use="label")
    for extra in out["instances"].extra:
        assert extra["local_vlm"]["structured"] is False
        assert "not JSON" in extra["local_vlm"]["problem"]
    assert out["instances"].descriptions == ["", "", ""]


def test_the_model_is_loaded_once_and_a_cached_run_loads_nothing(use_tiny_models, tmp_path, scene_image, scene_instances):
    first = Context("a", "label.local_vlm", resources=ResourceCache(), store=Store(tmp_path / "nd"))
    run(scene_image, scene_instances, first)
    run(scene_image, scene_instances, first, prompt="What is it?")
    assert len([k for k in first.resources.keys() if isinstance(k, ModelIdentity) and k.kind == "local_vlm"]) == 1
    fresh = Context("b", "label.local_vlm", resources=ResourceCache(), store=Store(tmp_path / "nd"))
    out = run(scene_image, scene_instances, fresh)
    assert list(out["usage"]["status"]) == ["cached"] * 3
    assert not [k for k in fresh.resources.keys() if isinstance(k, ModelIdentity) and k.kind == "local_vlm"]


def test_unload_frees_the_model_after_the_run(use_tiny_models, ctx, scene_image, scene_instances):
    run(scene_image, scene_instances, ctx, unload=True)
    assert not [k for k in ctx.resources.keys() if isinstance(k, ModelIdentity) and k.kind == "local_vlm"]


def test_max_crops_and_the_crops_output_match_what_the_model_saw(use_tiny_models, ctx, tmp_path, scene_image,
                                                                 scene_instances):
    out = run(scene_image, scene_instances, ctx, max_crops=1, debug_dir=str(tmp_path / "seen"))
    assert out["instances"].extra[1]["local_vlm"] == {"skipped": "beyond max_crops"}
    assert out["crops"].meta["crops"] == 1
    assert sorted(p.name for p in (tmp_path / "seen").iterdir()) == ["D001.png", "answers.json"]
    assert any("max_crops is 1" in w for w in ctx.warnings)


def test_a_missing_model_names_it_and_how_to_get_it(use_tiny_models, ctx, scene_image, scene_instances):
    with pytest.raises(NodeError) as caught:
        run(scene_image, scene_instances, ctx, model="nobody/no-such-vlm")
    assert "nobody/no-such-vlm" in str(caught.value) and "hf download" in str(caught.value)


def test_the_default_model_is_the_one_the_tiny_builder_stands_in_for(tiny_models_dir):
    assert (tiny_models_dir / DEFAULT_MODEL.replace("/", "--") / "config.json").is_file()


def test_no_instances_means_no_model_load(ctx, scene_image):
    out = run(scene_image, Instances(np.zeros((0, 96, 128), bool)), ctx)
    assert len(out["instances"]) == 0
    assert not [k for k in ctx.resources.keys() if isinstance(k, ModelIdentity) and k.kind == "local_vlm"]
