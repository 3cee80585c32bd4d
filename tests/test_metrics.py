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

    from fairgap.plots import f1_overfits as plots
    from fairgap.metrics import check_disparity

    assert check_disparity("equalized_odds_difference") == "equalized_odds_difference"
    with pytest.raises(ValueError, match="Valid: demographic_parity_difference"):
        plots.fairness_overfits(pd.DataFrame(columns=["epoch", "split", "group", "metric", "value"]),
                                disparity="equalised_odds")


# --- the fast evaluation against the fairlearn reference, exactly ---

def assert_same_rows(fast, reference, tol=1e-9):
    a, b = as_dict(fast), as_dict(reference)
    assert list(a) == list(b), "different rows or row order"
    for key in a:
        if np.isnan(b[key]):
            assert np.isnan(a[key]), key
        else:
            assert abs(a[key] - b[key]) <= tol, (key, a[key], b[key])


def edge_cases():
    rng = np.random.default_rng(7)
    n = 400
    group = rng.integers(0, 4, n)
    y = (rng.random(n) < 0.4).astype(int)
    ties = np.round(rng.random(n), 1)                               # many tied scores
    yield "random, four groups", y, rng.random(n), group, None
    yield "ties", y, ties, group, None
    yield "scores exactly at the threshold", y, np.where(rng.random(n) < 0.3, 0.5, ties), group, None
    one_class = y.copy(); one_class[group == 2] = 1                  # group 2: positives only
    yield "one-class group", one_class, rng.random(n), group, None
    no_negatives_anywhere_in_1 = y.copy(); no_negatives_anywhere_in_1[group == 1] = 0
    yield "group without positives", no_negatives_anywhere_in_1, rng.random(n), group, None
    # An empty group: label 1 is named but has no examples (only present groups get rows, as in fairlearn).
    yield "empty group", y, rng.random(n), np.where(group == 1, 0, group), ["a", "b", "c", "d"]
    yield "arbitrary group codes", y, rng.random(n), group * 10 + 3, None
    yield "collapsed", y, np.full(n, 0.2), group, None


@pytest.mark.parametrize("case", list(edge_cases()), ids=lambda c: c[0])
@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_fast_evaluation_matches_fairlearn_metricframe_exactly(case, threshold):
    from fairgap.metrics import reference_evaluate

    _, y, score, group, labels = case
    assert_same_rows(evaluate(y, score, group, threshold, labels),
                     reference_evaluate(y, score, group, threshold, labels))


@pytest.mark.parametrize("seed", range(5))
def test_fast_evaluation_matches_fairlearn_on_random_inputs(seed):
    import torch

    from fairgap.metrics import reference_evaluate

    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(50, 3000)), int(rng.integers(2, 6))
    group = rng.integers(0, k, n)
    y = (rng.random(n) < rng.uniform(0.1, 0.9, k)[group]).astype(int)
    score = rng.random(n).astype(np.float32)
    reference = reference_evaluate(y, score, group)
    assert_same_rows(evaluate(y, score, group), reference)
    # Tensors (as the training loop passes them) give the same rows.
    assert_same_rows(evaluate(torch.as_tensor(y), torch.as_tensor(score), torch.as_tensor(group)), reference)


def test_rank_auc_counts_ties_as_one_half():
    import torch

    from fairgap.metrics import rank_auc

    y = torch.tensor([0, 1, 0, 1])
    assert rank_auc(y, torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64)) == 0.5
    assert rank_auc(y, torch.tensor([0.1, 0.5, 0.5, 0.9], dtype=torch.float64)) == 0.875  # 3.5 of 4 pairs
    assert np.isnan(rank_auc(torch.tensor([1, 1]), torch.tensor([0.1, 0.2], dtype=torch.float64)))


def test_weights_count_like_repeated_examples_and_match_fairlearn_with_sample_weight():
    from sklearn.metrics import roc_auc_score

    from fairgap.metrics import rank_auc, reference_evaluate
    import torch

    rng = np.random.default_rng(3)
    y, g = rng.integers(0, 2, 600), rng.integers(0, 3, 600)
    score = np.round(rng.random(600), 2)                      # ties, to exercise the AUC's half counts
    weight = rng.integers(1, 5, 600)
    weighted = as_dict(evaluate(y, score, g, weight=weight.astype(float)))
    repeated = as_dict(evaluate(np.repeat(y, weight), np.repeat(score, weight), np.repeat(g, weight)))
    reference = as_dict(reference_evaluate(y, score, g, weight=weight.astype(float)))
    for key, value in weighted.items():
        if key[1] == "n":
            assert value == np.sum(g == int(key[0])) if key[0] != "all" else value == 600  # n counts examples
            continue
        assert value == pytest.approx(repeated[key], abs=1e-12), key
        assert reference[key] == pytest.approx(value, abs=1e-9), key
    assert weighted[("all", "accuracy")] != pytest.approx(as_dict(evaluate(y, score, g))[("all", "accuracy")], abs=1e-6)
    auc = rank_auc(torch.as_tensor(y), torch.as_tensor(score), torch.as_tensor(weight, dtype=torch.float64))
    assert auc == pytest.approx(roc_auc_score(y, score, sample_weight=weight), abs=1e-12)
