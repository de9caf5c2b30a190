"""label.clip: zero-shot labels from a class list with CLIP, and the reusable scoring core.

Whether a real CLIP names a cat "cat" cannot be tested here: that needs the real weights, and
the suite runs offline. The data path runs with a tiny randomly initialised CLIP (its answers
are random, so those tests check shapes, bookkeeping and caching), and the scoring math runs
with a hand-made encoder whose right answers are known.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from thyra_graph.engine.context import Context  # noqa: E402
from thyra_graph.engine.declaration import NodeError  # noqa: E402
from thyra_graph.engine.resources import ResourceCache  # noqa: E402
from thyra_graph.nodes.label.clip import (  # noqa: E402
    class_list, classify_instances, clip, clip_scores, load_clip, normalise, prompts_for, similarities_to_probabilities,
    square,
)
from thyra_graph.types import Image, Instances  # noqa: E402

CLASSES = ["cat", "dog", "bird"]


class ColourEncoder:
    """A hand-made stand-in for CLIP: an image's embedding is its mean colour, a text's is the
    colour it names. A red picture matches "a photo of a red thing." and nothing else."""

    logit_scale = 100.0
    COLOURS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0)}

    def __init__(self) -> None:
        self.batches: list[int] = []

    def embed_texts(self, texts):
        return normalise([next(v for k, v in self.COLOURS.items() if k in text) for text in texts])

    def embed_images(self, images, *, batch_size=16, progress=None):
        for start in range(0, len(images), batch_size):
            self.batches.append(len(images[start:start + batch_size]))
        return normalise([image.reshape(-1, 3).astype(np.float32).mean(axis=0) for image in images])


def solid(colour, size=(20, 30)) -> np.ndarray:
    return np.broadcast_to(np.asarray(colour, np.uint8), (*size, 3)).copy()


@pytest.fixture
def scene():
    """A black 60×80 image with a red, a green and a blue rectangle, and their masks."""
    rgb = np.zeros((60, 80, 3), np.uint8)
    masks = np.zeros((3, 60, 80), bool)
    for index, (box, colour) in enumerate([((5, 5, 25, 20), (220, 20, 20)), ((40, 5, 70, 25), (20, 200, 30)),
                                           ((20, 35, 60, 55), (30, 40, 230))]):
        x0, y0, x1, y1 = box
        rgb[y0:y1, x0:x1] = colour
        masks[index, y0:y1, x0:x1] = True
    return Image(rgb), Instances(masks, scores=[0.9, 0.8, 0.7])


def ctx_with_cache() -> Context:
    return Context("clip", "label.clip", resources=ResourceCache())


# -- the scoring math, with answers known --------------------------------------------------------
def test_probabilities_are_a_softmax_of_the_scaled_cosines():
    probabilities = similarities_to_probabilities(np.array([[1.0, 0.0]]), logit_scale=1.0)
    assert probabilities[0] == pytest.approx([np.e / (np.e + 1), 1 / (np.e + 1)], rel=1e-6)
    sharp = similarities_to_probabilities(np.array([[0.30, 0.20, 0.25]]), logit_scale=100.0)
    assert sharp.sum() == pytest.approx(1.0) and sharp.argmax() == 0 and sharp[0, 0] > 0.99


def test_clip_scores_pick_the_text_that_names_each_images_colour():
    encoder = ColourEncoder()
    images = [solid((200, 10, 10)), solid((10, 10, 200)), solid((10, 190, 20))]
    texts = prompts_for(["red", "green", "blue"], "a photo of a {} thing.")
    probabilities = clip_scores(encoder, images, texts)
    assert probabilities.argmax(axis=1).tolist() == [0, 2, 1]
    assert probabilities.sum(axis=1) == pytest.approx([1, 1, 1])


def test_clip_scores_without_softmax_are_cosine_similarities_comparable_across_images():
    # Seed 004 keeps views whose similarity to one description passes a threshold: one text,
    # so a softmax would say 1.0 for every view.
    encoder = ColourEncoder()
    similarities = clip_scores(encoder, [solid((200, 0, 0)), solid((0, 0, 200)), solid((200, 0, 200))],
                               ["a red chair"], softmax=False)
    assert similarities[:, 0] == pytest.approx([1.0, 0.0, np.sqrt(0.5)], abs=1e-6)


def test_crops_are_sent_in_batches_of_batch_size(scene):
    image, instances = scene
    encoder = ColourEncoder()
    classify_instances(encoder, image.data, instances, prompts_for(["red", "green", "blue"], "{}"), batch_size=2)
    assert encoder.batches == [2, 1]


def test_each_instance_is_named_by_its_own_crop(scene):
    image, instances = scene
    result = classify_instances(ColourEncoder(), image.data, instances, prompts_for(["red", "green", "blue"], "a {} box"))
    assert result.best.tolist() == [0, 1, 2]


def test_a_long_object_is_padded_to_a_square_so_the_centre_crop_keeps_its_ends():
    crop = solid((255, 0, 0), size=(10, 40))
    padded = square(crop)
    assert padded.shape == (40, 40, 3)
    assert (padded[15:25].reshape(-1, 3) == (255, 0, 0)).all() and padded[:15].max() == 0


# -- the node with a tiny random CLIP ---------------------------------------------------------------
def test_every_instance_gets_a_label_from_the_list_and_probabilities_summing_to_one(use_tiny_models, scene):
    image, instances = scene
    result = clip(image, instances, classes=CLASSES, device="cpu", ctx=ctx_with_cache())
    labelled, table = result["instances"], result["scores"]
    labelled.validate()
    assert len(labelled) == 3 and all(label in CLASSES for label in labelled.labels)
    probabilities = np.stack([table[f"p({name})"] for name in CLASSES], axis=1)
    assert probabilities.sum(axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    assert labelled.scores == pytest.approx(probabilities.max(axis=1), abs=1e-6)
    assert table["label"] == labelled.labels and table["instance"].tolist() == [1, 2, 3]


def test_class_ids_names_top_k_and_the_mask_scores_are_recorded(use_tiny_models, scene):
    image, instances = scene
    labelled = clip(image, instances, classes=CLASSES, top_k=2, device="cpu", ctx=ctx_with_cache())["instances"]
    assert labelled.classes == {1: "cat", 2: "dog", 3: "bird"}
    assert [labelled.classes[i] for i in labelled.class_ids] == labelled.labels
    for extra, label, mask_score in zip(labelled.extra, labelled.labels, [0.9, 0.8, 0.7]):
        assert len(extra["clip"]) == 2 and max(extra["clip"], key=extra["clip"].get) == label
        assert extra["mask_score"] == pytest.approx(mask_score)


def test_ids_and_scores_can_be_left_as_they_were(use_tiny_models, scene):
    image, instances = scene
    instances = Instances(instances.masks, [7, 7, 8], [0.9, 0.8, 0.7], classes={7: "thing", 8: "stuff"})
    labelled = clip(image, instances, classes=CLASSES, set_class_ids=False, replace_scores=False,
                    device="cpu", ctx=ctx_with_cache())["instances"]
    assert labelled.class_ids.tolist() == [7, 7, 8] and labelled.classes == {7: "thing", 8: "stuff"}
    assert labelled.scores == pytest.approx([0.9, 0.8, 0.7])


def test_below_min_score_an_instance_is_unknown_with_class_id_0(use_tiny_models, scene):
    image, instances = scene
    result = clip(image, instances, classes=CLASSES, min_score=1.0, unknown="?", device="cpu", ctx=ctx_with_cache())
    assert result["instances"].labels == ["?", "?", "?"]
    assert result["instances"].class_ids.tolist() == [0, 0, 0]
    assert result["scores"]["score"].tolist() == [0, 0, 0]


def test_batched_and_one_by_one_scoring_agree(use_tiny_models, scene):
    image, instances = scene
    one = clip(image, instances, classes=CLASSES, batch_size=1, device="cpu", ctx=ctx_with_cache())["scores"]
    all_at_once = clip(image, instances, classes=CLASSES, batch_size=16, device="cpu", ctx=ctx_with_cache())["scores"]
    for name in CLASSES:
        assert one[f"p({name})"] == pytest.approx(all_at_once[f"p({name})"], abs=1e-5)


def test_the_model_loads_once_and_the_class_texts_are_encoded_once(use_tiny_models, scene):
    image, instances = scene
    ctx = ctx_with_cache()
    model = load_clip(ctx, device="cpu")
    text_runs = []
    model.model.text_model.register_forward_hook(lambda *_: text_runs.append(1))
    for _ in range(3):
        clip(image, instances, classes=CLASSES, device="cpu", ctx=ctx)
    assert len(ctx.resources.keys()) == 1 and len(text_runs) == 1
    clip(image, instances, classes=["cat", "fish"], device="cpu", ctx=ctx)
    assert len(text_runs) == 2


def test_unload_frees_the_model(use_tiny_models, scene):
    image, instances = scene
    ctx = ctx_with_cache()
    clip(image, instances, classes=CLASSES, device="cpu", unload=True, ctx=ctx)
    assert ctx.resources.keys() == []


def test_an_instance_without_pixels_is_unknown_and_reported(use_tiny_models, scene):
    image, instances = scene
    masks = instances.masks.copy()
    masks[1] = False
    ctx = ctx_with_cache()
    result = clip(image, Instances(masks), classes=CLASSES, device="cpu", ctx=ctx)
    assert result["instances"].labels[1] == "unknown" and result["instances"].extra[1]["clip"] == {}
    assert result["instances"].labels[0] in CLASSES
    assert any("1 of 3 objects have no pixels" in warning for warning in ctx.warnings)


def test_no_instances_give_empty_outputs_without_loading_a_model(monkeypatch, tmp_path):
    monkeypatch.setenv("THYRA_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = clip(Image(np.zeros((8, 8, 3), np.uint8)), Instances.empty(8, 8), classes=CLASSES, model="example/not-here")
    assert len(result["instances"]) == 0 and len(result["scores"]) == 0
    assert result["scores"].names == ["instance", "label", "score", "p(cat)", "p(dog)", "p(bird)"]


def test_missing_weights_offline_name_the_model_and_how_to_get_it(monkeypatch, tmp_path, scene):
    monkeypatch.setenv("THYRA_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    image, instances = scene
    with pytest.raises(NodeError) as caught:
        clip(image, instances, classes=CLASSES, model="example/clip-not-downloaded", ctx=ctx_with_cache())
    message = str(caught.value)
    assert "example/clip-not-downloaded" in message and "offline" in message
    assert "hf download" in message and "THYRA_MODELS_DIR" in message


def test_a_folder_holding_pytorch_model_bin_only_loads_like_openais_own_repositories(use_tiny_models, tmp_path, scene):
    import shutil

    import torch
    from safetensors.torch import load_file

    folder = tmp_path / "clip-bin"
    shutil.copytree(use_tiny_models / "openai--clip-vit-base-patch32", folder)
    torch.save(load_file(str(folder / "model.safetensors")), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    image, instances = scene
    from_bin = clip(image, instances, classes=CLASSES, model=str(folder), device="cpu", ctx=ctx_with_cache())["scores"]
    from_hub_name = clip(image, instances, classes=CLASSES, device="cpu", ctx=ctx_with_cache())["scores"]
    assert from_bin["p(cat)"] == pytest.approx(from_hub_name["p(cat)"], abs=1e-6)


def test_a_model_folder_without_weights_is_refused_naming_the_folder(use_tiny_models, tmp_path, scene):
    import shutil

    folder = tmp_path / "my-clip"
    shutil.copytree(use_tiny_models / "openai--clip-vit-base-patch32", folder)
    (folder / "model.safetensors").unlink()
    image, instances = scene
    with pytest.raises(NodeError, match=r"my-clip' has no weights \(model.safetensors or pytorch_model.bin\)"):
        clip(image, instances, classes=CLASSES, model=str(folder), ctx=ctx_with_cache())


# -- parameters -----------------------------------------------------------------------------------
def test_classes_may_be_a_list_or_a_comma_separated_string():
    assert class_list(["cat", " dog "]) == ["cat", "dog"]
    assert class_list("cat, dog,bird") == CLASSES


@pytest.mark.parametrize("classes", [[], "", ["", " "]])
def test_an_empty_class_list_is_refused_with_an_example(classes):
    with pytest.raises(NodeError, match=r"set 'classes' to a list such as \[cat, dog, bird\]"):
        class_list(classes)


def test_a_class_named_twice_is_refused():
    with pytest.raises(NodeError, match="'cat' more than once"):
        class_list(["cat", "dog", "cat"])


def test_a_template_without_a_place_for_the_name_is_refused():
    assert prompts_for(["cat"], "a photo of a {}.") == ["a photo of a cat."]
    with pytest.raises(NodeError, match=r"no '\{\}' where the class name goes"):
        prompts_for(["cat"], "a photo of a thing")
