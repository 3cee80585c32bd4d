import pytest
import torch

from fairgap.fairness import available_objectives, make_objective
from fairgap.fairness.gap_penalty import soft_rate_gaps

PENALTIES = ["demographic_parity_penalty", "equal_opportunity_penalty",
             "equalized_odds_sum_penalty", "equalized_odds_max_penalty"]


def batch(prob_by_cell):
    """A batch with 10 examples per (group, label) cell whose probabilities are given per cell."""
    probs, ys, gs = [], [], []
    for (g, y), p in prob_by_cell.items():
        probs += [p] * 10; ys += [y] * 10; gs += [g] * 10
    logits = torch.logit(torch.tensor(probs))
    return logits, torch.tensor(ys), torch.tensor(gs)


@pytest.mark.parametrize("name", PENALTIES)
def test_penalty_is_zero_when_groups_are_alike(name):
    logits, y, g = batch({(0, 0): 0.2, (0, 1): 0.7, (1, 0): 0.2, (1, 1): 0.7})
    _, parts = make_objective(name, {"weight": 1.0}).loss(logits, y, g)
    assert parts["penalty"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("name", PENALTIES)
def test_penalty_is_positive_when_groups_differ(name):
    logits, y, g = batch({(0, 0): 0.2, (0, 1): 0.9, (1, 0): 0.5, (1, 1): 0.3})
    _, parts = make_objective(name, {"weight": 1.0}).loss(logits, y, g)
    assert parts["penalty"] > 0.05


def test_variants_compute_their_documented_gaps():
    logits, y, g = batch({(0, 0): 0.2, (0, 1): 0.9, (1, 0): 0.5, (1, 1): 0.6})
    values = {n: make_objective(n, {"weight": 1.0}).loss(logits, y, g)[1]["penalty"] for n in PENALTIES}
    tpr_gap, fpr_gap = 0.3, 0.3
    assert values["equal_opportunity_penalty"] == pytest.approx(tpr_gap, abs=1e-5)
    assert values["equalized_odds_sum_penalty"] == pytest.approx(tpr_gap + fpr_gap, abs=1e-5)
    assert values["equalized_odds_max_penalty"] == pytest.approx(max(tpr_gap, fpr_gap), abs=1e-5)
    assert values["demographic_parity_penalty"] == pytest.approx(abs((0.2 + 0.9) / 2 - (0.5 + 0.6) / 2), abs=1e-5)


@pytest.mark.parametrize("name", PENALTIES)
def test_one_gradient_step_reduces_the_gap(name):
    logits, y, g = batch({(0, 0): 0.2, (0, 1): 0.9, (1, 0): 0.45, (1, 1): 0.55})
    logits = logits.clone().requires_grad_(True)
    objective = make_objective(name, {"weight": 5.0})
    before = objective.loss(logits, y, g)[1]["penalty"]
    total, _ = objective.loss(logits, y, g)
    total.backward()
    with torch.no_grad():
        stepped = logits - 1.0 * logits.grad
    after = objective.loss(stepped, y, g)[1]["penalty"]
    assert after < before


def test_a_batch_without_a_group_or_class_gives_no_nan():
    logits = torch.randn(8, requires_grad=True)
    y = torch.tensor([1, 1, 1, 1, 0, 0, 0, 0])
    g = torch.zeros(8, dtype=torch.long)   # group 1 absent
    for name in PENALTIES:
        total, parts = make_objective(name, {"weight": 1.0}).loss(logits, y, g)
        total.backward()
        assert torch.isfinite(total) and parts["penalty"] == 0.0
        assert torch.isfinite(logits.grad).all()
    gaps = soft_rate_gaps(torch.sigmoid(logits), torch.ones(8, dtype=torch.long), torch.tensor([0, 1] * 4), 2)
    assert gaps["fpr"].item() == 0.0  # no negatives in the batch


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Valid methods:.*erm"):
        make_objective("fair_magic")


def test_unknown_or_bad_parameter_is_named():
    with pytest.raises(ValueError, match="Valid parameters: \\['weight'\\]"):
        make_objective("equalized_odds_max_penalty", {"lambda": 1.0})
    with pytest.raises(ValueError, match="weight=-1"):
        make_objective("equalized_odds_max_penalty", {"weight": -1.0})


def test_registry_lists_erm_and_the_penalties():
    assert {"erm", *PENALTIES} <= set(available_objectives())
