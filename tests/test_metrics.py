import numpy as np
import pytest
from fairlearn.metrics import (demographic_parity_difference, equal_opportunity_difference,
                               equalized_odds_difference)

from fairgap.metrics import evaluate, is_collapsed


def independent(y, score, group, threshold=0.5):
    """Plain-numpy reference, written from the definitions in fairgap.metrics' docstring."""
    pred = score >= threshold
    per = {}
    for g in np.unique(group):
        m = group == g
        per[g] = {
            "accuracy": np.mean(pred[m] == y[m]),
            "tpr": pred[m & (y == 1)].mean(),
            "fpr": pred[m & (y == 0)].mean(),
            "selection_rate": pred[m].mean(),
        }
    gap = lambda k: max(v[k] for v in per.values()) - min(v[k] for v in per.values())  # noqa: E731
    return per, {
        "demographic_parity_difference": gap("selection_rate"),
        "equal_opportunity_difference": gap("tpr"),
        "equalized_odds_difference": max(gap("tpr"), gap("fpr")),
        "accuracy_difference": gap("accuracy"),
    }


def as_dict(rows):
    return {(r["group"], r["metric"]): r["value"] for r in rows}


@pytest.fixture
def sample():
    rng = np.random.default_rng(0)
    n = 3000
    group = rng.integers(0, 3, n)
    y = (rng.random(n) < np.array([0.3, 0.5, 0.6])[group]).astype(int)
    score = np.clip(0.35 * y + rng.random(n) * (0.7 + 0.1 * group), 0, 1)
    return y, score, group


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_matches_an_independent_computation(sample, threshold):
    y, score, group = sample
    values = as_dict(evaluate(y, score, group, threshold))
    per, gaps = independent(y, score, group, threshold)
    for g, metrics in per.items():
        for name, expected in metrics.items():
            assert values[(str(g), name)] == pytest.approx(expected)
    for name, expected in gaps.items():
        assert values[("all", name)] == pytest.approx(expected)
    assert gaps["equalized_odds_difference"] > 0.01  # the sample is not trivially fair


def test_matches_fairlearns_own_disparity_functions(sample):
    y, score, group = sample
    values = as_dict(evaluate(y, score, group))
    pred = score >= 0.5
    assert values[("all", "equalized_odds_difference")] == pytest.approx(
        equalized_odds_difference(y, pred, sensitive_features=group))
    assert values[("all", "demographic_parity_difference")] == pytest.approx(
        demographic_parity_difference(y, pred, sensitive_features=group))
    assert values[("all", "equal_opportunity_difference")] == pytest.approx(
        equal_opportunity_difference(y, pred, sensitive_features=group))


def test_auc_and_loss_per_group(sample):
    from sklearn.metrics import log_loss, roc_auc_score

    y, score, group = sample
    values = as_dict(evaluate(y, score, group))
    for g in range(3):
        m = group == g
        assert values[(str(g), "auc")] == pytest.approx(roc_auc_score(y[m], score[m]))
        assert values[(str(g), "loss")] == pytest.approx(log_loss(y[m], np.clip(score[m], 1e-7, 1 - 1e-7)))
        assert values[(str(g), "n")] == m.sum()


def test_group_labels_name_the_rows(sample):
    y, score, group = sample
    values = as_dict(evaluate(y, score, group, group_labels=["a", "b", "c"]))
    assert ("b", "accuracy") in values and ("1", "accuracy") not in values


def test_one_class_group_gives_nan_not_an_error():
    y = np.array([1, 1, 1, 0, 1, 0])
    group = np.array([0, 0, 0, 1, 1, 1])
    score = np.array([0.9, 0.8, 0.2, 0.1, 0.7, 0.6])
    values = as_dict(evaluate(y, score, group))
    assert np.isnan(values[("0", "fpr")]) and np.isnan(values[("0", "auc")])
    assert values[("0", "tpr")] == pytest.approx(2 / 3)
    assert values[("1", "auc")] == pytest.approx(1.0)


def test_collapse_is_detected():
    assert is_collapsed(np.full(10, 0.2)) and is_collapsed(np.full(10, 0.9))
    assert not is_collapsed(np.array([0.2, 0.9]))
    y = np.array([0, 1, 0, 1]); group = np.array([0, 0, 1, 1])
    values = as_dict(evaluate(y, np.full(4, 0.1), group))
    assert values[("all", "collapsed")] == 1.0
    assert values[("all", "equalized_odds_difference")] == 0.0  # trivially "fair": why collapse is flagged


def test_unknown_disparity_is_refused_before_drawing():
    import pandas as pd

    from fairgap import plots
    from fairgap.metrics import check_disparity

    assert check_disparity("equalized_odds_difference") == "equalized_odds_difference"
    with pytest.raises(ValueError, match="Valid: demographic_parity_difference"):
        plots.fairness_overfits(pd.DataFrame(columns=["epoch", "split", "group", "metric", "value"]),
                                disparity="equalised_odds")
