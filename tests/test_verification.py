"""Face verification: margin losses, pair sampling, TAR@FAR / EER against sklearn's roc_curve, training, probe."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import norm
from sklearn.metrics import roc_curve

from fairgap.verification import (VerificationConfig, equal_error_rate, run_verification, sample_pairs, tar_at_far,
                                  train_verification, verification_metrics)
from fairgap.verification.losses import GroupAdversary, MarginHead, group_loss_gap, gradient_reversal, margin_logits
from fairgap.verification.metrics import roc_table
from fairgap.verification.probe import attribute_probe
from fairgap.verification.train import load_cached, run_folder

# --- TAR at FAR and EER on fixed scores ---

GENUINE = np.array([0.95, 0.9, 0.8, 0.7, 0.62, 0.4])
IMPOSTOR = np.array([0.85, 0.6, 0.5, 0.45, 0.3, 0.2, 0.15, 0.1, 0.05, 0.0])


def brute_force_tar(genuine, impostor, far):
    """Largest TAR over all thresholds (every score, and +inf) whose FAR is at most ``far``."""
    best = 0.0
    for t in np.r_[np.inf, genuine, impostor]:
        if np.mean(impostor >= t) <= far:
            best = max(best, float(np.mean(genuine >= t)))
    return best


def test_tar_at_far_reads_sklearn_roc_curve_without_interpolation():
    # FAR 0.1 allows exactly one impostor (0.85): accept >= 0.62 -> 5 of 6 genuine.
    assert tar_at_far(GENUINE, IMPOSTOR, 0.1) == (pytest.approx(5 / 6), pytest.approx(0.62))
    # FAR < 0.1 allows none: accept above 0.85 -> 2 of 6.
    assert tar_at_far(GENUINE, IMPOSTOR, 0.05)[0] == pytest.approx(2 / 6)
    assert tar_at_far(GENUINE, IMPOSTOR, 0.2)[0] == pytest.approx(5 / 6)
    assert tar_at_far(GENUINE, IMPOSTOR, 0.5)[0] == pytest.approx(1.0)
    # The same numbers as reading sklearn's ROC at the last point with FPR <= far.
    fpr, tpr, _ = roc_curve(np.r_[np.ones(6), np.zeros(10)], np.r_[GENUINE, IMPOSTOR])
    for far in (0.0, 0.05, 0.1, 0.15, 0.3, 0.5, 0.99):
        assert tar_at_far(GENUINE, IMPOSTOR, far)[0] == pytest.approx(tpr[fpr <= far].max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tar_at_far_matches_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    genuine = np.round(rng.normal(1, 1, 300), 1)        # rounding makes ties, also across the two sets
    impostor = np.round(rng.normal(-1, 1, 2000), 1)
    for far in (1e-3, 1e-2, 0.05, 0.2):
        tar, threshold = tar_at_far(genuine, impostor, far)
        assert tar == pytest.approx(brute_force_tar(genuine, impostor, far))
        assert np.mean(impostor >= threshold) <= far and np.mean(genuine >= threshold) == pytest.approx(tar)


def test_equal_error_rate_exact_and_gaussian():
    # At threshold 0.6: FAR = 1/4, FRR = 1/4.
    assert equal_error_rate([0.9, 0.8, 0.7, 0.4], [0.6, 0.5, 0.3, 0.2]) == pytest.approx(0.25)
    assert equal_error_rate([0.9, 0.8], [0.1, 0.2]) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    genuine, impostor = rng.normal(1, 1, 20000), rng.normal(-1, 1, 20000)
    assert equal_error_rate(genuine, impostor) == pytest.approx(norm.cdf(-1), abs=0.01)


def test_equal_error_rate_is_where_sklearns_far_meets_frr():
    rng = np.random.default_rng(3)
    genuine, impostor = rng.normal(0.8, 0.5, 500), rng.normal(0, 0.5, 700)
    fpr, tpr, _ = roc_curve(np.r_[np.ones(500), np.zeros(700)], np.r_[genuine, impostor])
    eer = equal_error_rate(genuine, impostor)
    # The EER lies between the FAR and FRR of every ROC point on either side of the crossing.
    below = fpr < 1 - tpr
    i = np.flatnonzero(~below)[0]
    lo, hi = sorted([fpr[i - 1], fpr[i]])
    assert lo <= eer <= hi and min(1 - tpr[i - 1], 1 - tpr[i]) <= eer <= max(1 - tpr[i - 1], 1 - tpr[i])


def test_global_threshold_gives_the_harder_group_a_higher_far():
    rng = np.random.default_rng(0)
    n = 4000
    scores = np.r_[rng.normal(0.8, 0.1, 200), rng.normal(0.0, 0.1, n),    # group 0: genuine, impostor
                   rng.normal(0.8, 0.1, 200), rng.normal(0.3, 0.1, n)]    # group 1: impostors look alike
    pairs = pd.DataFrame({"genuine": np.r_[np.ones(200), np.zeros(n), np.ones(200), np.zeros(n)].astype(bool),
                          "group": np.r_[np.zeros(200 + n), np.ones(200 + n)].astype(int)})
    rows = verification_metrics(scores, pairs, ("a", "b"), fars=(1e-2,))
    value = {(r["group"], r["metric"]): r["value"] for r in rows}
    assert value[("b", "far_global@0.01")] > 0.01 > value[("a", "far_global@0.01")]
    pooled_imp = scores[~pairs.genuine.to_numpy()]
    assert np.mean(pooled_imp >= value[("all", "threshold@0.01")]) <= 0.01
    for g in ("a", "b"):
        mask = (pairs.group == ("ab".index(g))).to_numpy()
        gen, imp = scores[mask & pairs.genuine.to_numpy()], scores[mask & ~pairs.genuine.to_numpy()]
        assert value[(g, "tar_group@0.01")] == pytest.approx(tar_at_far(gen, imp, 0.01)[0])
        assert value[(g, "eer")] == pytest.approx(equal_error_rate(gen, imp))
    assert value[("all", "eer_gap")] == pytest.approx(abs(value[("a", "eer")] - value[("b", "eer")]))
    assert value[("all", "tar_group@0.01_gap")] == pytest.approx(
        abs(value[("a", "tar_group@0.01")] - value[("b", "tar_group@0.01")]))
    table = roc_table(scores, pairs, ("a", "b"))
    assert set(table.group) == {"a", "b", "all"} and table.tar.between(0, 1).all()


# --- pairs ---

def test_pairs_are_genuine_within_identity_and_impostor_within_group():
    identity = np.repeat(np.arange(6), 4)              # 6 people x 4 photos
    group = (identity >= 3).astype(int)                # people 0-2 in group 0, 3-5 in group 1
    pairs = sample_pairs(identity, group, seed=0)
    i, j = pairs.i.to_numpy(), pairs.j.to_numpy()
    assert (i < j).all() and not pairs.duplicated(["i", "j"]).any()
    assert ((identity[i] == identity[j]) == pairs.genuine).all()
    assert (group[i] == pairs.group).all() and (group[j] == pairs.group).all()
    # Everything is kept under the caps: per group 3 people x C(4,2) genuine, C(12,2) - 18 impostor pairs.
    counts = pairs.groupby(["group", "genuine"]).size()
    assert counts[(0, True)] == 18 and counts[(0, False)] == 66 - 18


@pytest.mark.parametrize("n_people", [20, 400])         # enumerated, and drawn at random
def test_pair_caps_and_seed(n_people):
    identity = np.repeat(np.arange(n_people), 5)
    group = identity % 2
    a = sample_pairs(identity, group, max_genuine=30, max_impostor=500, seed=1)
    b = sample_pairs(identity, group, max_genuine=30, max_impostor=500, seed=1)
    pd.testing.assert_frame_equal(a, b)
    counts = a.groupby(["group", "genuine"]).size()
    assert (counts.xs(True, level="genuine") == 30).all() and (counts.xs(False, level="genuine") == 500).all()
    assert not a.duplicated(["i", "j"]).any()
    assert (identity[a.i] != identity[a.j])[~a.genuine.to_numpy()].all()


# --- losses ---

def test_cosface_and_arcface_logits():
    cosine = torch.tensor([[0.8, 0.1, -0.2], [0.3, 0.5, 0.9]])
    labels = torch.tensor([0, 1])
    cos = margin_logits(cosine, labels, "cosface", scale=10.0, margin=0.35)
    assert torch.allclose(cos, 10 * torch.tensor([[0.8 - 0.35, 0.1, -0.2], [0.3, 0.5 - 0.35, 0.9]]))
    arc = margin_logits(cosine, labels, "arcface", scale=10.0, margin=0.5)
    expected = [math.cos(math.acos(0.8) + 0.5), math.cos(math.acos(0.5) + 0.5)]
    assert torch.allclose(arc[[0, 1], [0, 1]], 10 * torch.tensor(expected), atol=1e-5)
    assert torch.allclose(arc[0, 1:], 10 * cosine[0, 1:])
    # No margin: both are the normalised softmax; a per-example margin applies row by row.
    assert torch.allclose(margin_logits(cosine, labels, "arcface", 10.0, 0.0), 10 * cosine, atol=1e-5)
    per_row = margin_logits(cosine, labels, "cosface", 10.0, torch.tensor([0.0, 0.2]))
    assert per_row[0, 0] == pytest.approx(8.0) and per_row[1, 1] == pytest.approx(3.0)
    # Past theta + m = pi ArcFace continues monotonically instead of rising again.
    far = margin_logits(torch.tensor([[-0.99, 0.0]]), torch.tensor([0]), "arcface", 1.0, 0.5)
    assert far[0, 0] < -0.99


def test_margin_head_losses_and_gradients_are_finite_at_the_extremes():
    head = MarginHead(4, 3, "arcface", scale=30.0, margin=0.5)
    embedding = torch.nn.functional.normalize(head.weight.detach()[[0, 1]].clone(), dim=1).requires_grad_()
    losses = head(embedding, torch.tensor([0, 1]))      # cos = 1 exactly at the target
    assert losses.shape == (2,)
    losses.sum().backward()
    assert torch.isfinite(embedding.grad).all() and torch.isfinite(head.weight.grad).all()
    with pytest.raises(ValueError, match="arcface, cosface"):
        MarginHead(4, 3, "sphereface")


def test_group_loss_gap_and_gradient_reversal():
    losses = torch.tensor([1.0, 3.0, 2.0, 6.0])
    gap, means = group_loss_gap(losses, torch.tensor([0, 0, 1, 1]), 2)
    assert gap.item() == pytest.approx(2.0) and means.tolist() == [2.0, 4.0]
    gap, means = group_loss_gap(losses, torch.tensor([0, 0, 0, 0]), 2)
    assert gap.item() == 0 and math.isnan(means[1].item())
    x = torch.ones(3, requires_grad=True)
    (gradient_reversal(x, 0.5) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [-0.5, -1.0, -1.5]
    assert GroupAdversary(8, 2)(torch.randn(5, 8), 1.0).shape == (5, 2)


# --- training ---

TINY = dict(data=dict(n_train_identities=6, n_test_identities=6, images_train=4, images_val=2, images_test=3,
                      image_size=16),
            width=0.25, embedding_dim=8, loss="cosface", epochs=2, batch_size=16, eval_max_images=100)


def test_training_history_is_tidy_deterministic_and_cached():
    config = VerificationConfig(**TINY)
    a = train_verification(config)
    b = train_verification(config)
    pd.testing.assert_frame_equal(a.history, b.history)
    h = a.history
    assert list(h.columns) == ["epoch", "split", "group", "metric", "value"]
    assert sorted(h.epoch.unique()) == [0, 1, 2]
    assert set(h.split) == {"train", "val", "test", "optimization"}
    metrics = set(h.metric)
    for name in ("tar_global@0.001", "tar_group@0.01", "far_global@0.01", "eer", "eer_gap",
                 "tar_group@0.001_gap", "identification_accuracy", "identity_loss"):
        assert name in metrics
    assert not h[(h.split == "test") & (h.metric == "identification_accuracy")].size   # unseen: no classes
    assert set(a.roc.split) == {"train", "val", "test"}
    assert set(a.embeddings) == {"train", "val", "test"}
    assert np.allclose(np.linalg.norm(a.embeddings["test"]["embedding"], axis=1), 1, atol=1e-4)

    result = run_verification(config)
    assert (run_folder(config) / "info.json").is_file()
    cached = load_cached(config)
    pd.testing.assert_frame_equal(cached.history, result.history, check_dtype=False)
    assert np.array_equal(cached.embeddings["test"]["group"], result.embeddings["test"]["group"])
    assert config.key() != config.replace(seed=1).key()


def test_each_eval_set_is_embedded_once_per_evaluated_epoch(monkeypatch):
    from fairgap.verification import train as engine

    calls, embed = [], engine.embed
    monkeypatch.setattr(engine, "embed", lambda model, images, *args, **kw: calls.append(len(images))
                        or embed(model, images, *args, **kw))
    result = train_verification(VerificationConfig(**TINY))
    evaluated = result.history[result.history.split != "optimization"].epoch.nunique()
    # the kept embeddings are the last evaluation's, not a second pass over the same photos
    assert evaluated == 3 and len(calls) == evaluated * len(result.embeddings)


@pytest.mark.parametrize("method, weight", [("loss_gap", 1.0), ("adversarial", 1.0), ("group_margin", 0.2)])
def test_fairness_variants_train(method, weight):
    result = train_verification(VerificationConfig(**{**TINY, "epochs": 1}, method=method, weight=weight))
    opt = result.history[result.history.split == "optimization"]
    assert np.isfinite(opt.value).all()
    if method == "adversarial":
        assert "adversary_accuracy" in set(opt.metric)


def test_invalid_configs_are_explained():
    with pytest.raises(ValueError, match="Unknown method 'fair'"):
        VerificationConfig(method="fair").validate()
    with pytest.raises(ValueError, match="takes no weight"):
        VerificationConfig(weight=1.0).validate()
    with pytest.raises(ValueError, match="no identities"):
        train_verification(VerificationConfig(dataset="synthetic_faces", data={"n_train": 50, "n_val": 10,
                                                                               "n_test": 10, "image_size": 16}))


# --- probe ---

def test_probe_finds_a_linearly_encoded_group_and_not_a_hidden_one():
    rng = np.random.default_rng(0)

    def split(n, encoded):
        group = rng.integers(0, 2, n)
        x = rng.normal(0, 1, (n, 8))
        if encoded:
            x[:, 0] += 3 * (2 * group - 1)
        return {"embedding": x, "group": group, "identity": np.arange(n)}

    for encoded, low, high in ((True, 0.95, 1.0), (False, 0.35, 0.65)):
        rows = attribute_probe({"train": split(400, encoded), "test": split(400, encoded)})
        value = {r["metric"]: r["value"] for r in rows}
        assert low <= value["accuracy"] <= high and low - 0.05 <= value["auc"] <= high


# --- notebook 05's profiles ---

def test_profiles_keep_their_data_unless_the_dataset_changes():
    from fairgap.studies import f5_verification as fv

    smoke = fv.base_config("smoke", dataset=None, data=None, loss=None, epochs=None, seed=0)
    assert smoke.data == fv.SCALE["smoke"]["config"]["data"] and smoke.loss == "cosface"
    merged = fv.base_config("smoke", data={"trait_spread": [1.0, 0.5]}, epochs=3)
    assert merged.data["n_train_identities"] == 12 and merged.data["trait_spread"] == [1.0, 0.5]
    assert merged.epochs == 3
    # Another dataset drops the profile's own options and takes the profile's small ones for it.
    from fairgap.data import profile_options

    assert fv.base_config("smoke", dataset="celeba_identities").data == profile_options("smoke", "celeba_identities")
    assert "n_train_identities" not in fv.base_config("smoke", dataset="celeba_identities").data
    grid = fv.experiment_grid(smoke, {"loss_gap": [0.1, 1], "adversarial": [1.0]})
    assert list(grid) == [("none", 0.0, 0), ("loss_gap", 0.1, 0), ("loss_gap", 1.0, 0), ("adversarial", 1.0, 0)]
    assert grid[("loss_gap", 1.0, 0)].weight == 1.0 and grid[("none", 0.0, 0)].method == "none"
    two = fv.experiment_grid(smoke, {"loss_gap": [0.1]}, seeds=[3, 4])
    assert [(k, c.seed) for k, c in two.items()] == [(("none", 0.0, 3), 3), (("none", 0.0, 4), 4),
                                                     (("loss_gap", 0.1, 3), 3), (("loss_gap", 0.1, 4), 4)]
    # the settings behind the primary claim (the margin loss, the loss-gap penalty at its operating point) run at
    # the primary seeds
    from fairgap.claims.primary import LOSS_GAP_WEIGHT

    other = 3.0
    more = fv.experiment_grid(smoke, {"loss_gap": [LOSS_GAP_WEIGHT, other]}, seeds=[0], primary_seeds=[0, 1, 2])
    assert sorted(k for k in more if k[:2] == ("none", 0.0)) == [("none", 0.0, s) for s in range(3)]
    assert sorted(k for k in more if k[:2] == ("loss_gap", LOSS_GAP_WEIGHT)) == \
        [("loss_gap", LOSS_GAP_WEIGHT, s) for s in range(3)]
    assert [k for k in more if k[:2] == ("loss_gap", other)] == [("loss_gap", other, 0)]
    assert fv.headline_weights("default", {"loss_gap": [0.1, 0.3, 1.0], "adversarial": [2.0]}) == \
        {"loss_gap": LOSS_GAP_WEIGHT, "adversarial": 2.0}   # the headline is the operating point
    for profile in ("smoke", "default", "paper"):
        fv.base_config(profile)


def test_evaluation_subsample_keeps_whole_identities():
    from fairgap.data.base import Split
    from fairgap.verification.train import _EvalSet

    identity = torch.arange(50).repeat_interleave(4)
    split = Split(torch.zeros(200, 3, 4, 4, dtype=torch.uint8), torch.zeros(200, dtype=torch.long),
                  (identity % 2).long(), identity)
    subset = _EvalSet("test", split, {}, VerificationConfig(eval_max_images=30), 0)
    assert len(subset.images) == 28 and (np.bincount(subset.identity)[np.unique(subset.identity)] == 4).all()
    assert subset.labels is None and subset.pairs.genuine.sum() == 7 * 6


@pytest.mark.slow
def test_grid_on_processes_gives_the_runs_sequential_training_gives(tmp_path, monkeypatch):
    from fairgap.studies import f5_verification as fv

    smoke = fv.base_config("smoke", dataset=None, data=None, loss=None, epochs=1, seed=0)
    grid = fv.experiment_grid(smoke, {"loss_gap": [1.0]})
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # this process differs from the workers; each run sets its own
    try:
        parallel = fv.run_grid(grid, progress=False, executor="auto")
    finally:
        torch.set_num_threads(before)
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "sequential"))
    sequential = fv.run_grid(grid, progress=False, executor="sequential")
    for key in grid:
        pd.testing.assert_frame_equal(parallel[key].history, sequential[key].history)
    with pytest.raises(ValueError, match="Valid: auto, sequential"):
        fv.run_grid(grid, executor="dask")


def test_verification_objectives_come_from_one_registry():
    from fairgap.verification import METHODS
    from fairgap.verification.objectives import REGISTRY, make_objective

    assert tuple(REGISTRY) == METHODS == ("none", "loss_gap", "adversarial", "group_margin")
    config = VerificationConfig(method="group_margin", weight=0.5, margin=0.2, margin_group=1)
    group = torch.tensor([0, 1, 1])
    objective = make_objective(config, 2, "cpu")
    assert objective.margin(group, active=False) is None
    assert torch.allclose(objective.margin(group, active=True), torch.tensor([0.2, 0.7, 0.7]))
    gap_loss = make_objective(config.replace(method="loss_gap"), 2, "cpu")
    one, two = torch.tensor(1.0), torch.tensor(2.0)
    assert float(gap_loss.loss(one, two, None, group, True, None)) == 2.0       # 1 + 0.5 × 2
    assert float(gap_loss.loss(one, two, None, group, False, None)) == 1.0      # off during warm-up
    assert make_objective(config.replace(method="adversarial"), 2, "cpu").parameters()
    assert make_objective(config.replace(method="none"), 2, "cpu").parameters() == []
    with pytest.raises(ValueError, match="Valid methods: none, loss_gap"):
        make_objective(config.replace(method="nope"), 2, "cpu")
