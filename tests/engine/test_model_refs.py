"""A node declares the models it loads (``models=``, a function of its params, like
``destinations=``); the declaration and the registry metadata carry them."""

from __future__ import annotations

import json

import pytest

from thyra_graph.engine.declaration import DeclarationError, ModelRef, Output, Param, node


def _declare(**extra):
    @node("test.loads_a_model", outputs=[Output("value", "Number")],
          params=[Param("model", "org/tiny", help="a hub id"), Param("scale", 1.0, help="a factor")], **extra)
    def loads_a_model(*, model, scale):
        """Load a model and return a number."""
        return 1.0

    return loads_a_model


def test_models_are_derived_from_the_params_with_defaults_filled_in():
    spec = _declare(models=lambda p: [ModelRef(p["model"], "model", files=("*.json",))])
    assert spec.needed_models() == [ModelRef("org/tiny", "model", files=("*.json",))]
    assert [m.name for m in spec.needed_models({"model": "org/other"})] == ["org/other"]


def test_the_registry_metadata_lists_the_models_of_the_defaults_as_json():
    spec = _declare(models=lambda p: [ModelRef(p["model"], "model", backend="vggt", gated=True)])
    data = json.loads(json.dumps(spec.to_json()))
    assert data["models"] == [{"name": "org/tiny", "param": "model", "backend": "vggt", "source": "hub", "gated": True}]


def test_a_node_without_the_hook_needs_no_models():
    spec = _declare()
    assert spec.needed_models() == [] and spec.to_json()["models"] == []


def test_a_hook_that_is_not_callable_is_refused():
    with pytest.raises(DeclarationError, match="models must be a function"):
        _declare(models=["org/tiny"])


@pytest.mark.parametrize("kwargs, message", [({"source": "ftp"}, "source must be"), ({"source": "url"}, "needs its url")])
def test_a_malformed_model_ref_is_refused(kwargs, message):
    with pytest.raises(DeclarationError, match=message):
        ModelRef("x", "model", **kwargs)
