"""The fairness training methods behind one interface: penalties, FairALM, adversaries, group DRO,
flooding, post-processing, and an integration test that each lowers the train disparity it targets."""

import dataclasses
import math

import numpy as np
import pytest
import torch
from torch import nn

from fairgap.fairness import available_objectives, make_objective
from fairgap.fairness.adversarial import project, projected_gradient
from fairgap.fairness.fairalm import dual_update
from fairgap.fairness.mindiff import mmd2
from fairgap.metrics import evaluate
from fairgap.postprocess import apply_threshold_optimizer, fit_threshold_optimizer, postprocessed_metrics

NEW_METHODS = ["loss_gap_penalty", "mindiff", "fairalm", "adversarial", "gradient_reversal", "group_dro"]
# Parameters that switch each method's fairness part off, so that only the task loss drives the step.
NEUTRAL = {"erm": {}, "loss_gap_penalty": {"weight": 0.0}, "mindiff": {"weight": 0.0}, "fairalm": {"eta": 0.0},
           "adversarial": {"alpha": 0.0}, "gradient_reversal": {"alpha": 0.0}, "group_dro": {"step_size": 0.0},
           "demographic_parity_penalty": {"weight": 0.0}, "equalized_odds_max_penalty": {"weight": 0.0}}


def batch(prob_by_cell, n=10):
    """Logits, labels, groups: ``n`` examples per (group, label) cell, with the probability given per cell.

    A cell's value may be a list of probabilities (its examples' scores) instead of one number."""
    probs, ys, gs = [], [], []
    for (g, y), p in prob_by_cell.items():
        values = list(p) if isinstance(p, (list, tuple)) else [p] * n
        probs += values; ys += [y] * len(values); gs += [g] * len(values)
    return torch.logit(torch.tensor(probs, dtype=torch.float64)).float(), torch.tensor(ys), torch.tensor(gs)


class Linear(nn.Module):
    """A toy predictor: one logit per row of x."""

    def __init__(self, dim=3, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.layer = nn.Linear(dim, 1)

    def forward(self, x):
        return self.layer(x).squeeze(-1)


def toy_data(n=64, seed=0, n_groups=2):
    """Features where group 1 is shifted, labels from a noisy linear rule: a batch where groups differ."""
    gen = torch.Generator().manual_seed(seed)
    g = torch.arange(n) % n_groups
    y = (torch.arange(n) // n_groups) % 2
    x = torch.randn(n, 3, generator=gen) + torch.stack([y * 1.5 - 0.75 - 0.8 * g, g.float(), torch.zeros(n)], 1)
    return x, y, g


def ready(name, params=None, model=None, n_groups=2):
    objective = make_objective(name, params, n_groups=n_groups)
    objective.setup(model if model is not None else Linear(), torch.device("cpu"))
    return objective


# --- registry and parameters ---

def test_every_method_is_registered():
    assert {"erm", *NEW_METHODS} <= set(available_objectives())


@pytest.mark.parametrize("name, params, message", [
    ("mindiff", {"kernel": "cosine"}, "valid values are gaussian, laplacian"),
    ("mindiff", {"condition": "men"}, "valid values are positives, negatives, all"),
    ("mindiff", {"bandwidth": 0.0}, "bandwidth=0.0 is out of range"),
    ("loss_gap_penalty", {"weight": -1.0}, "weight=-1.0 is out of range"),
    ("fairalm", {"eta": -0.1}, "eta=-0.1 is out of range"),
    ("fairalm", {"inner_steps": 1.5}, "inner_steps"),
    ("adversarial", {"criterion": "parity"}, "valid values are equalized_odds, demographic_parity"),
    ("gradient_reversal", {"hidden": -2}, "hidden=-2 is out of range"),
    ("group_dro", {"groups": "cells"}, "valid values are group, group_x_label"),
    ("group_dro", {"lr": 1.0}, "Valid parameters: \\['step_size', 'groups'\\]"),
])
def test_bad_parameters_name_the_valid_ones(name, params, message):
    with pytest.raises(ValueError, match=message):
        make_objective(name, params)


def test_fairalm_refuses_more_than_two_groups():
    with pytest.raises(ValueError, match="exactly two groups"):
        make_objective("fairalm", n_groups=3)


def test_targets_follow_the_condition():
    assert make_objective("mindiff").targets == "equal_opportunity_difference"
    assert make_objective("mindiff", {"condition": "all"}).targets == "demographic_parity_difference"
    assert make_objective("loss_gap_penalty").targets == "accuracy_difference"
    assert make_objective("adversarial", {"criterion": "demographic_parity"}).targets == \
        "demographic_parity_difference"
    assert make_objective("gradient_reversal").targets == "equalized_odds_difference"


def test_penalty_based_methods_are_task_loss_plus_a_term():
    """remedies.heldout_fairness_step moves the fairness term (weight * penalty) to held-out data."""
    logits, y, g = batch({(0, 0): 0.2, (0, 1): 0.9, (1, 0): 0.5, (1, 1): 0.4})
    for name in available_objectives():
        objective = make_objective(name)
        if not objective.penalty_based:
            continue
        total, parts = objective.loss(logits, y, g)
        term = total - nn.functional.binary_cross_entropy_with_logits(logits, y.float())
        assert term.item() == pytest.approx(objective.params.weight * parts["penalty"], rel=1e-5), name
    assert {n for n in available_objectives() if make_objective(n).penalty_based} >= {"loss_gap_penalty", "mindiff"}
    assert not any(make_objective(n).penalty_based for n in ("fairalm", "adversarial", "gradient_reversal",
                                                              "group_dro"))


# --- penalties: zero when the groups' statistics are equal, positive otherwise, a step reduces them ---

PENALTY_METHODS = [("loss_gap_penalty", {}), ("loss_gap_penalty", {"condition": "positives"}),
                   ("mindiff", {}), ("mindiff", {"kernel": "laplacian"}), ("mindiff", {"condition": "all"})]


@pytest.mark.parametrize("name, params", PENALTY_METHODS)
def test_penalty_is_zero_when_groups_are_alike(name, params):
    spread = [0.55, 0.7, 0.85]
    logits, y, g = batch({(0, 0): [0.1, 0.3], (0, 1): spread, (1, 0): [0.3, 0.1], (1, 1): spread[::-1]})
    _, parts = make_objective(name, params).loss(logits, y, g)
    assert parts["penalty"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("name, params", PENALTY_METHODS)
def test_penalty_is_positive_when_groups_differ(name, params):
    logits, y, g = batch({(0, 0): 0.2, (0, 1): 0.9, (1, 0): 0.5, (1, 1): 0.4})
    _, parts = make_objective(name, params).loss(logits, y, g)
    assert parts["penalty"] > 0.01


@pytest.mark.parametrize("name, params", PENALTY_METHODS)
def test_one_gradient_step_reduces_the_penalty(name, params):
    logits, y, g = batch({(0, 0): [0.1, 0.2, 0.3], (0, 1): [0.8, 0.9, 0.95], (1, 0): [0.4, 0.5, 0.45],
                          (1, 1): [0.5, 0.6, 0.55]})
    logits.requires_grad_(True)
    objective = make_objective(name, {**params, "weight": 5.0})
    total, parts = objective.loss(logits, y, g)
    total.backward()
    stepped = (logits - 0.5 * logits.grad).detach()
    assert objective.loss(stepped, y, g)[1]["penalty"] < parts["penalty"]


def test_loss_gap_penalty_is_the_documented_sum_of_squares():
    logits, y, g = batch({(0, 1): 0.9, (1, 1): 0.6, (2, 1): 0.3})
    objective = make_objective("loss_gap_penalty", {"weight": 1.0}, n_groups=3)
    losses = [-math.log(p) for p in (0.9, 0.6, 0.3)]
    expected = sum((losses[a] - losses[b]) ** 2 for a, b in ((0, 1), (0, 2), (1, 2)))
    assert objective.loss(logits, y, g)[1]["penalty"] == pytest.approx(expected, rel=1e-4)


def test_mmd_is_the_biased_v_statistic():
    a, b = torch.tensor([0.2, 0.4]), torch.tensor([0.6])
    k = lambda u, v: math.exp(-(u - v) ** 2 / (2 * 0.1 ** 2))  # noqa: E731
    expected = (k(.2, .2) + k(.4, .4) + 2 * k(.2, .4)) / 4 + k(.6, .6) - 2 * (k(.2, .6) + k(.4, .6)) / 2
    assert mmd2(a, b, "gaussian", 0.1).item() == pytest.approx(expected, rel=1e-5)
    assert mmd2(a, a, "laplacian", 0.1).item() == pytest.approx(0.0, abs=1e-7)


def test_mindiff_conditions_on_the_chosen_class():
    # Positives alike, negatives different: only the "negatives" and "all" variants see a gap.
    logits, y, g = batch({(0, 0): 0.1, (0, 1): 0.8, (1, 0): 0.5, (1, 1): 0.8})
    values = {c: make_objective("mindiff", {"condition": c}).loss(logits, y, g)[1]["penalty"]
              for c in ("positives", "negatives", "all")}
    assert values["positives"] == pytest.approx(0.0, abs=1e-6)
    assert values["negatives"] > 0.1 and values["all"] > 0.01


# --- no NaN when a group or a class is absent from the batch ---

@pytest.mark.parametrize("name", NEW_METHODS)
def test_a_batch_without_a_group_or_class_gives_no_nan(name):
    x = torch.randn(8, 3)
    cases = [(torch.tensor([1, 0] * 4), torch.zeros(8, dtype=torch.long)),    # group 1 absent
             (torch.ones(8, dtype=torch.long), torch.tensor([0, 1] * 4))]     # no negatives
    for y, g in cases:
        model = Linear()
        objective = ready(name, model=model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        parts = objective.train_step(model, optimizer, x, y, g)
        assert all(math.isfinite(v) for v in parts.values()), parts
        assert all(torch.isfinite(p).all() for p in model.parameters())
        total, _ = objective.loss(model(x), y, g)
        assert torch.isfinite(total)


# --- FairALM: the multiplier follows Algorithm 2 on a worked example ---

class Scalar(nn.Module):
    """logit_i = w * x_i with one weight, so every quantity can be written by hand."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.w * x


def test_fairalm_dual_update_formula():
    assert dual_update(0.5, 2.0, 0.9, 0.4) == pytest.approx(1.5)


def test_fairalm_multiplier_matches_a_worked_example():
    """Two positives, x = 1 in group 0 and x = 2 in group 1; SGD with step 0.5; eta = 0.5.

    mu_0 = log(1 + e^-w), mu_1 = log(1 + e^-2w), e = (mu_0 + mu_1) / 2, lambda_0 = 0.
    Step t: w <- w - 0.5 * d/dw[e + (lambda + eta) mu_0 - (lambda - eta) mu_1] (mu at the old w),
    then lambda <- lambda + eta * (mu_0 - mu_1) (mu at the old w, as the authors' code).

    t=1: w=0: mu_0 = mu_1 = log 2, lambda_1 = 0.
         d/dw = -(1/2)(1/2)(1 + 2) - 0.5 * (1/2) * 1 - 0.5 * (1/2) * 2 = -0.75 - 0.25 - 0.5 = -1.5 -> w = 0.75
    t=2: w=0.75: mu_0 = log(1 + e^-0.75) = 0.386871, mu_1 = log(1 + e^-1.5) = 0.201413,
         lambda_2 = 0 + 0.5 * (0.386871 - 0.201413) = 0.092729.
    t=3: with s_i = sigmoid(-w x_i) at w_2 (from the primal step of t=2, coefficients lambda_1 + eta = 0.5
         on mu_0 and -(lambda_1 - eta) = 0.5 on mu_1): lambda_3 = lambda_2 + 0.5 * (mu_0(w_2) - mu_1(w_2)).
    """
    x, y, g = torch.tensor([1.0, 2.0]), torch.tensor([1, 1]), torch.tensor([0, 1])
    model = Scalar()
    objective = ready("fairalm", {"eta": 0.5}, model=model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    history = [objective.train_step(model, optimizer, x, y, g)["multiplier"] for _ in range(3)]

    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    mu = lambda w, xi: math.log(1 + math.exp(-w * xi))  # noqa: E731
    w, lam, eta, expected, ws = 0.0, 0.0, 0.5, [], []
    for _ in range(3):
        m0, m1 = mu(w, 1.0), mu(w, 2.0)
        d0, d1 = -sig(-w) * 1.0, -sig(-2 * w) * 2.0          # d mu_i / dw
        grad = (d0 + d1) / 2 + (lam + eta) * d0 - (lam - eta) * d1
        w, lam = w - 0.5 * grad, lam + eta * (m0 - m1)
        expected.append(lam); ws.append(w)
    assert ws[0] == pytest.approx(0.75)
    assert expected[:2] == pytest.approx([0.0, 0.092729], abs=1e-6)
    assert history == pytest.approx(expected, abs=1e-6)
    assert model.w.item() == pytest.approx(ws[-1], abs=1e-6)


def test_fairalm_step_with_a_multiplier_reduces_the_gap():
    logits, y, g = batch({(0, 1): [0.9, 0.95], (1, 1): [0.4, 0.5], (0, 0): 0.2, (1, 0): 0.3})
    logits.requires_grad_(True)
    objective = make_objective("fairalm", {"eta": 0.1})
    objective.multiplier = -2.0       # group 1's positives have the larger loss: lambda has gone negative
    total, parts = objective.loss(logits, y, g)
    total.backward()
    after = objective.loss((logits - 0.5 * logits.grad).detach(), y, g)[1]
    assert abs(after["loss_gap"]) < abs(parts["loss_gap"])


def test_fairalm_eta_grows_per_epoch_only_through_the_hook():
    objective = make_objective("fairalm", {"eta": 1.0, "eta_growth": 1.5})
    objective.start_epoch(1); assert objective.eta == pytest.approx(1.0)
    objective.start_epoch(3); assert objective.eta == pytest.approx(2.25)
    unhooked, model = ready("fairalm", {"eta_growth": 1.5}), Linear()
    with pytest.warns(UserWarning, match="start_epoch"):
        unhooked.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), *toy_data(8))


# --- adversaries ---

def test_projection_removes_the_component_along_the_adversary_gradient():
    gen = torch.Generator().manual_seed(0)
    task, adversary = torch.randn(4, 5, generator=gen), torch.randn(4, 5, generator=gen)
    residual = task - project(task, adversary)
    assert (residual * adversary).sum().item() == pytest.approx(0.0, abs=1e-5)
    update = projected_gradient(task, adversary, alpha=0.7)
    # Without the -alpha * grad L_A term the update is orthogonal to grad L_A; with it, it points against it.
    assert ((update + 0.7 * adversary) * adversary).sum().item() == pytest.approx(0.0, abs=1e-5)
    assert (update * adversary).sum() < 0
    assert torch.equal(project(task, torch.zeros_like(task)), torch.zeros_like(task))


def adversary_gradients(objective, model, x, y, g):
    """grad of the task loss and of the adversary's loss w.r.t. each predictor parameter, at the current state."""
    logits = model(x)
    task = nn.functional.binary_cross_entropy_with_logits(logits, y.float())
    params = list(model.parameters())
    return (torch.autograd.grad(task, params, retain_graph=True),
            torch.autograd.grad(objective.adversary_loss(logits, y, g), params))


def test_adversarial_step_applies_the_projected_gradient_per_parameter():
    model, (x, y, g) = Linear(), toy_data()
    objective = ready("adversarial", {"alpha": 0.5}, model=model)
    before = [p.detach().clone() for p in model.parameters()]
    task_grads, adversary_grads = adversary_gradients(objective, model, x, y, g)
    objective.train_step(model, torch.optim.SGD(model.parameters(), lr=1.0), x, y, g)
    for old, new, gl, ga in zip(before, model.parameters(), task_grads, adversary_grads):
        applied = old - new.detach()
        assert torch.allclose(applied, projected_gradient(gl, ga, 0.5), atol=1e-6)
        assert ((applied + 0.5 * ga) * ga).sum().item() == pytest.approx(0.0, abs=1e-6)


def test_gradient_reversal_step_ascends_the_adversary_loss():
    model, (x, y, g) = Linear(), toy_data()
    objective = ready("gradient_reversal", {"alpha": 0.5}, model=model)
    before = [p.detach().clone() for p in model.parameters()]
    task_grads, adversary_grads = adversary_gradients(objective, model, x, y, g)
    objective.train_step(model, torch.optim.SGD(model.parameters(), lr=1.0), x, y, g)
    for old, new, gl, ga in zip(before, model.parameters(), task_grads, adversary_grads):
        assert torch.allclose(old - new.detach(), gl - 0.5 * ga, atol=1e-6)


@pytest.mark.parametrize("name", ["adversarial", "gradient_reversal"])
@pytest.mark.parametrize("criterion, hidden, n_groups", [("equalized_odds", 0, 2), ("demographic_parity", 8, 2),
                                                         ("equalized_odds", 4, 3)])
def test_the_adversary_learns_to_predict_the_group(name, criterion, hidden, n_groups):
    model, (x, y, g) = Linear(), toy_data(n=96, n_groups=n_groups)
    objective = ready(name, {"alpha": 0.0, "criterion": criterion, "hidden": hidden, "adversary_lr": 0.05},
                      model=model, n_groups=n_groups)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)   # predictor frozen: only the adversary moves
    first = objective.train_step(model, optimizer, x, y, g)["adversary_loss"]
    for _ in range(30):
        last = objective.train_step(model, optimizer, x, y, g)["adversary_loss"]
    assert last < first


# --- group DRO ---

def test_group_dro_moves_weight_to_the_worse_group():
    model, (x, y, g) = Linear(), toy_data()
    objective = ready("group_dro", {"step_size": 0.5}, model=model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    logits = model(x)
    per_group = [nn.functional.binary_cross_entropy_with_logits(logits[g == k], y[g == k].float()) for k in (0, 1)]
    worse = int(per_group[1] > per_group[0])
    for _ in range(3):
        parts = objective.train_step(model, optimizer, x, y, g)
    assert parts[f"dro_weight_{worse}"] > parts[f"dro_weight_{1 - worse}"]
    assert parts["dro_weight_0"] + parts["dro_weight_1"] == pytest.approx(1.0)
    # Three steps of exponentiated gradient with fixed losses: q_k proportional to exp(3 * 0.5 * L_k).
    expected = torch.softmax(1.5 * torch.stack(per_group).detach(), 0)
    assert parts["dro_weight_1"] == pytest.approx(expected[1].item(), rel=1e-5)


def test_group_dro_over_group_label_cells():
    model, (x, y, g) = Linear(), toy_data()
    objective = ready("group_dro", {"step_size": 1.0, "groups": "group_x_label"}, model=model)
    parts = objective.train_step(model, torch.optim.SGD(model.parameters(), lr=0.0), x, y, g)
    names = [f"dro_weight_{k}_y{c}" for k in (0, 1) for c in (0, 1)]
    assert set(names) <= set(parts) and sum(parts[n] for n in names) == pytest.approx(1.0)
    logits = model(x)
    cell_losses = [nn.functional.binary_cross_entropy_with_logits(logits[(g == k) & (y == c)],
                                                                   y[(g == k) & (y == c)].float()).item()
                   for k in (0, 1) for c in (0, 1)]
    assert max(names, key=parts.get) == names[int(np.argmax(cell_losses))]


# --- flooding ---

@pytest.mark.parametrize("name", sorted(NEUTRAL))
def test_flooding_ascends_below_the_flood_level_and_descends_above(name):
    x, y, g = toy_data()
    task = lambda m: nn.functional.binary_cross_entropy_with_logits(m(x), y.float()).item()  # noqa: E731
    changes = {}
    for label, offset in (("above", 1.0), ("below", None)):
        model = Linear()
        objective = ready(name, NEUTRAL[name], model=model)
        before = task(model)
        objective.flood_level = before + offset if offset is not None else 0.0
        objective.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y, g)
        changes[label] = task(model) - before
    assert changes["above"] > 0        # flood level above the loss: gradient ascent
    assert changes["below"] < 0        # flood level below the loss: ordinary descent


def test_flooding_below_the_loss_is_exactly_plain_descent():
    x, y, g = toy_data()
    results = []
    for flood_level in (None, 0.01):
        model = Linear()
        objective = ready("loss_gap_penalty", {"weight": 2.0}, model=model)
        objective.flood_level = flood_level
        objective.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y, g)
        results.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.allclose(results[0], results[1])


# --- post-processing ---

def shifted_scores(n, seed):
    """Group 1's scores are shifted down for both classes: a 0.5 threshold gives it a lower TPR and FPR."""
    rng = np.random.default_rng(seed)
    g = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < 0.5).astype(int)
    score = 1 / (1 + np.exp(-(2.0 * (2 * y - 1) - 1.5 * g + rng.normal(0, 1.2, n))))
    return {"score": score, "target": y, "group": g}


def metric(rows, name, split=None):
    return next(r["value"] for r in rows if r["metric"] == name and r["group"] == "all"
                and (split is None or r["split"] == split))


def test_threshold_optimizer_lowers_the_test_equalized_odds_difference():
    val, test = shifted_scores(3000, 0), shifted_scores(3000, 1)
    fitted = fit_threshold_optimizer(val["score"], val["target"], val["group"])
    predictions = apply_threshold_optimizer(fitted, test["score"], test["group"], seed=0)
    assert set(np.unique(predictions)) <= {0, 1}
    np.testing.assert_array_equal(predictions, apply_threshold_optimizer(fitted, test["score"], test["group"], 0))
    plain = metric(evaluate(test["target"], test["score"], test["group"]), "equalized_odds_difference")
    post = metric(evaluate(test["target"], predictions.astype(float), test["group"]), "equalized_odds_difference")
    assert plain > 0.25 and post < 0.1, (plain, post)


def test_postprocessed_metrics_evaluates_the_other_splits():
    scores = {"train": shifted_scores(600, 2), "val": shifted_scores(2000, 0), "test": shifted_scores(2000, 1)}
    rows = postprocessed_metrics(scores, fit_split="val", group_labels=("lighter", "darker"))
    assert {r["split"] for r in rows} == {"train", "test"}
    assert {r["group"] for r in rows} == {"all", "lighter", "darker"}
    assert metric(rows, "equalized_odds_difference", "test") < 0.1
    # A run on generated data also carries the generator's population: the thresholds are judged there too.
    population = shifted_scores(20000, 3)
    rows = postprocessed_metrics({**scores, "population": population}, fit_split="val")
    assert {r["split"] for r in rows} == {"train", "test", "population"}
    plain = metric(evaluate(population["target"], population["score"], population["group"]),
                   "equalized_odds_difference")
    assert metric(rows, "equalized_odds_difference", "population") < 0.05 < 0.25 < plain
    with pytest.raises(ValueError, match="not among the scored splits"):
        postprocessed_metrics({"train": scores["train"], "test": scores["test"]})
    with pytest.raises(ValueError, match="Valid constraints"):
        fit_threshold_optimizer(scores["val"]["score"], scores["val"]["target"], scores["val"]["group"], "parity")


# --- integration: each method lowers the train disparity it targets, without collapsing ---

# Weights chosen on seeds 0-2 of this setting (see the report); the test runs seed 0.
INTEGRATION = {
    "loss_gap_penalty": {"weight": 10.0},
    "mindiff": {"weight": 0.3, "bandwidth": 0.3},
    "fairalm": {"eta": 0.1},
    # alpha 0.1: on this tiny set it lowered the train disparity at seeds 0, 1 and 2 (0.07/0.02/0.09 vs ERM's
    # 0.30/0.21/0.41); at alpha 0.3 the projected update was unstable here (0.43/0.23 at seeds 0/1).
    "adversarial": {"alpha": 0.1, "adversary_lr": 0.01, "adversary_steps": 5},
    "gradient_reversal": {"alpha": 0.3, "adversary_lr": 0.01, "adversary_steps": 5},
    "group_dro": {"step_size": 0.3},
}
MIN_TRAIN_ACCURACY = 0.62   # majority-class rate of this training set is 0.555


@pytest.fixture(scope="module")
def integration_runs():
    from fairgap.train import RunConfig, prepare_dataset, train

    config = RunConfig(data={"n_train": 400, "n_val": 100, "n_test": 200, "image_size": 16}, width=0.25, epochs=8,
                       batch_size=32, lr=3e-3, seed=0)
    dataset = prepare_dataset(config)
    # Only the train split is evaluated (the disparity under test is the training one): 3x faster.
    dataset = dataclasses.replace(dataset, splits={"train": dataset["train"]})

    def final_train_metrics(method, params):
        result = train(config.replace(method=method, method_params=params), dataset=dataset)
        final = result.final()
        return final[(final.split == "train") & (final.group == "all")].set_index("metric")["value"]

    return {"erm": final_train_metrics("erm", {}),
            **{name: final_train_metrics(name, params) for name, params in INTEGRATION.items()}}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(INTEGRATION))
def test_each_method_lowers_the_train_disparity_it_targets(name, integration_runs):
    target = make_objective(name, INTEGRATION[name]).targets
    erm, method = integration_runs["erm"], integration_runs[name]
    assert method["collapsed"] == 0.0 and method["accuracy"] >= MIN_TRAIN_ACCURACY, method.to_dict()
    assert method[target] < erm[target], (target, method[target], erm[target])
