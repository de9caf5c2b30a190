"""DensityModel: a forest of plain arrays that predicts like the scikit-learn forest it came from,
and refuses arrays that could crash or hang its walk (a model may come from someone else)."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.types import DensityModel


def fitted_forest(seed: int = 0):
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(seed)
    features = rng.normal(size=(400, 5)).astype(np.float32)
    target = np.maximum(features[:, 0] * features[:, 2], 0) + 0.1 * features[:, 4] ** 2
    forest = RandomForestRegressor(n_estimators=4, max_depth=6, random_state=seed).fit(features, target)
    trees = [{"children_left": e.tree_.children_left, "children_right": e.tree_.children_right,
              "feature": e.tree_.feature, "threshold": e.tree_.threshold, "value": e.tree_.value[:, 0, 0]}
             for e in forest.estimators_]
    model = DensityModel.from_trees(trees, {"features": [f"f{i}" for i in range(5)]})
    return forest, model, rng.normal(size=(300, 5)).astype(np.float32)


def test_the_exported_forest_predicts_what_scikit_learn_predicts():
    forest, model, features = fitted_forest()
    model.validate()
    ours = model.predict(np.ascontiguousarray(features.T))
    np.testing.assert_allclose(ours, forest.predict(features), rtol=1e-5, atol=1e-6)


def test_a_feature_count_other_than_the_trained_one_is_refused():
    _, model, features = fitted_forest()
    with pytest.raises(ValueError, match="trained on 5 features"):
        model.predict(features[:, :4].T)


def damaged(change) -> DensityModel:
    _, model, _ = fitted_forest()
    change(model)
    return model


@pytest.mark.parametrize("change, message", [
    (lambda m: m.left.__setitem__(0, 0), "child 0 does not lie after it"),  # a loop: the walk would never end
    (lambda m: m.right.__setitem__(0, len(m.left) + 5), "child .* does not lie after it"),  # out of range
    (lambda m: m.left.__setitem__(0, int(m.roots[1]) + 1), "within its own tree"),  # into the next tree
    (lambda m: m.right.__setitem__(0, -1), "two children or none"),
    (lambda m: m.feature.__setitem__(0, 99), "feature outside the 5"),
    (lambda m: m.threshold.__setitem__(0, np.nan), "finite"),
    (lambda m: m.value.__setitem__(-1, np.inf), "finite"),
    (lambda m: setattr(m, "roots", np.array([0, 0], np.int64)), "increase strictly"),
    (lambda m: setattr(m, "value", m.value[:-1]), "has .* nodes but"),
    (lambda m: setattr(m, "left", m.left.astype(np.float64)), "must be int32"),
    (lambda m: setattr(m, "settings", {"features": []}), "list of feature names"),
])
def test_damaged_arrays_are_refused_with_a_message_naming_the_fault(change, message):
    with pytest.raises(ValueError, match=message):
        damaged(change).validate()


def test_a_chain_deeper_than_any_real_tree_is_refused():
    size = 400  # one inner node after another, each with a leaf: a 200-level path
    left = np.full(size, -1, np.int32)
    right = np.full(size, -1, np.int32)
    for node in range(0, size - 2, 2):
        left[node], right[node] = node + 1, node + 2
    model = DensityModel(left, right, np.zeros(size, np.int32), np.zeros(size), np.zeros(size, np.float32),
                         np.array([0], np.int64), {"features": ["f0"]})
    with pytest.raises(ValueError, match="levels deep"):
        model.validate()
