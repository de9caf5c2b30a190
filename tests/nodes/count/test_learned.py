"""count.learned_density: a CSRNet/MCNN density network from a local checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from thyra_graph.engine.context import Context  # noqa: E402
from thyra_graph.engine.declaration import NodeError  # noqa: E402
from thyra_graph.engine.resources import ResourceCache  # noqa: E402
from thyra_graph.nodes.count import density_net  # noqa: E402
from thyra_graph.nodes.count.learned import learned_density  # noqa: E402
from thyra_graph.types import Image  # noqa: E402

TINY = {"csrnet": {"arch": "csrnet", "width": 0.0625}, "mcnn": {"arch": "mcnn", "width": 0.25}}


def tiny_checkpoint(tmp_path, arch="csrnet", suffix=".safetensors"):
    torch.manual_seed(0)
    model = density_net.build_density_net(TINY[arch])
    # A positive output bias makes the random network predict a non-zero density everywhere.
    head = model.output_layer if arch == "csrnet" else model.fuse
    torch.nn.init.constant_(head.bias, 0.01)
    return density_net.save_checkpoint(model, tmp_path / f"{arch}{suffix}")


@pytest.mark.parametrize("arch,suffix", [("csrnet", ".safetensors"), ("mcnn", ".pt")])
def test_the_node_returns_an_image_sized_density_whose_sum_is_the_count(tmp_path, arch, suffix):
    path = tiny_checkpoint(tmp_path, arch, suffix)
    image = Image(np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8))
    result = learned_density(image, checkpoint=str(path), device="cpu")
    density, count = result["density"], result["count"].value
    assert density.shape == (50, 70)
    density.validate()
    assert count > 0
    assert density.count == pytest.approx(count, rel=1e-4)
    assert density.meta["arch"] == arch


def test_the_model_is_loaded_once_per_process(tmp_path, monkeypatch):
    path = tiny_checkpoint(tmp_path)
    loads = []
    real = density_net.load_checkpoint
    monkeypatch.setattr(density_net, "load_checkpoint", lambda *a, **k: loads.append(1) or real(*a, **k))
    ctx = Context("n", "count.learned_density", resources=ResourceCache())
    image = Image(np.zeros((32, 32, 3), np.uint8))
    first = learned_density(image, checkpoint=str(path), device="cpu", ctx=ctx)["count"].value
    second = learned_density(image, checkpoint=str(path), device="cpu", ctx=ctx)["count"].value
    assert len(loads) == 1 and first == second


def test_a_missing_checkpoint_names_the_file_and_how_to_get_one(tmp_path):
    with pytest.raises(NodeError) as caught:
        learned_density(Image(np.zeros((16, 16, 3), np.uint8)), checkpoint=str(tmp_path / "birds.safetensors"), device="cpu")
    message = str(caught.value)
    assert "birds.safetensors" in message and "train_density_net" in message and "CSRNet" in message


def test_a_file_that_is_not_a_density_network_is_refused_clearly(tmp_path):
    bad = tmp_path / "notes.pt"
    torch.save({"weights": torch.zeros(3)}, bad)
    with pytest.raises(NodeError, match="cannot use .*notes.pt.* as a density network"):
        learned_density(Image(np.zeros((16, 16, 3), np.uint8)), checkpoint=str(bad), device="cpu")


def test_a_reference_csrnet_state_dict_without_config_loads(tmp_path):
    model = density_net.build_density_net({"arch": "csrnet", "width": 0.125})
    path = tmp_path / "model_best.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}, "epoch": 3}, path)
    loaded = density_net.load_checkpoint(path)
    assert loaded.config["width"] == 0.125 and loaded.config["input"] == "imagenet"


def test_training_a_few_steps_moves_the_count_towards_the_annotation():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
    points = rng.uniform(4, 28, (12, 2))
    torch.manual_seed(0)
    model = density_net.build_density_net(TINY["csrnet"])
    before = abs(density_net.predict_density(model, image).sum() - 12)
    density_net.train_density_net([(image, points)], model=model, epochs=30, learning_rate=1e-2)
    after = abs(density_net.predict_density(model, image).sum() - 12)
    assert after < before
