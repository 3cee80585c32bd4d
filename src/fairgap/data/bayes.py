"""The Bayes floor of a generated dataset: what the best possible classifier of the observed label scores per group.

Each generator draws every image from known latent variables, so P(observed label | latents, group) is
known in closed form. The Bayes-optimal classifier predicts 1 where that probability is at least 0.5;
its per-group TPR, FPR and accuracy (against the observed, noisy label) and the disparities they imply
are the floor under which no trained model's population disparity can be explained by the data alone.

Faces (fairgap.data.synthetic_faces): per group g, s ~ Bernoulli(base_rate_g), the lift
l ~ Normal(m_g (2s - 1), LIFT_JITTER) with m_g = (1 - difficulty_g) MAX_LIFT, the label y = s flipped with
probability eta_g = label_noise_g. Nothing else in the image depends on s.

X-rays (fairgap.data.synthetic_xray): per group g, f ~ Bernoulli(prevalence_g), the cue
c ~ Normal(m_g f, CUE_JITTER[target]) with m_g = (1 - difficulty_g) MAX_CUE[target], and two more latents
that depend on f: the projection, AP ~ Bernoulli(ap_rate[f]), and a device ~ Bernoulli(device_rate[f]),
independent given f; y = f flipped with probability eta_g. Nothing else depends on f.

The decision. P(y=1, latents) ∝ (1 - eta) w1 N1 + eta w0 N0 and P(y=0, latents) ∝ eta w1 N1 + (1 - eta) w0 N0,
with w_f = P(f) P(AP, device | f) and N_f the cue's normal density under f; so y=1 is at least as likely
as y=0 exactly where (1 - 2 eta)(w1 N1 - w0 N0) >= 0: for eta < 0.5 label noise does not move the
decision (eta = 0.5 makes every latent a tie, predicted 1). Both classes' cue densities are normals
with one standard deviation sigma and means m1 > m0, so the likelihood ratio N1 / N0 =
exp((m1 - m0)(c - (m1 + m0) / 2) / sigma^2) increases with c: the decision region of a group (and, for
X-rays, of each projection and device) is c >= t with t = (m1 + m0) / 2 + sigma^2 log(w0 / w1) / (m1 - m0).
The analytic floor integrates the normal CDF over that region: P(predict 1 | f) = Phi((m_f - t) / sigma),
summed over the four (AP, device) cells for X-rays; the Monte Carlo floor draws the generator's own
latents (``generate_attributes``) and applies Bayes' rule to each, without the threshold, a check of it.

It conditions on the latents, not the pixels, so it is an upper bound on what any image classifier can
reach: rendering only loses information (the image of an X-ray cue below 0 is no finding at all, breast
shadows and a small thorax hide a finding, faces are 32 pixels wide). The floor's disparities are the
part of a model's disparity that the generator's knobs alone impose on the best possible classifier.

The rule is the Bayes (maximum accuracy) rule, which uses each group's base rate: with the default
faces the darker group's threshold sits above the midpoint (base rate 0.35), which lowers its TPR.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.special import ndtr

FLOOR_DATASETS = ("synthetic_faces", "synthetic_xray")
COLUMNS = ("share", "base_rate", "tpr", "fpr", "accuracy", "selection_rate")
# The disparities of fairgap.metrics.DISPARITIES that a hard classifier's rates define (no AUC), with
# fairlearn's definitions: the largest minus the smallest over the groups.
DISPARITY_RATES = {
    "demographic_parity_difference": ("selection_rate",),
    "equal_opportunity_difference": ("tpr",),
    "equalized_odds_difference": ("tpr", "fpr"),
    "accuracy_difference": ("accuracy",),
}
# Options that size or seed a sample, or only change how the latents look: the floor does not depend on them.
_SAMPLE_OPTIONS = ("n_train", "n_val", "n_test", "seed", "image_size", "pixel_noise")


# --- the generators' latent structure, per group ---

def _config_of(dataset: str, config):
    """The generator's config: ``config`` itself, or a dict of its options over the defaults, or the defaults."""
    if dataset not in FLOOR_DATASETS:
        raise ValueError(f"No Bayes floor for dataset {dataset!r}: only {', '.join(FLOOR_DATASETS)} have a known "
                         "generator with one (real datasets have no known P(label | image)).")
    if dataset == "synthetic_faces":
        from .synthetic_faces import FaceConfig as cls
    else:
        from .synthetic_xray import XrayConfig as cls
    if config is None:
        config = cls()
    elif isinstance(config, dict):
        from . import _options_dataclass
        config = _options_dataclass(dataset, cls, config)
    elif not isinstance(config, cls):
        raise TypeError(f"config for {dataset!r} must be a {cls.__name__}, a dict of its options or None, "
                        f"got {type(config).__name__}.")
    # The floor does not depend on sizes, seed, resolution or pixel noise: one cache entry for all of them.
    defaults = cls()
    return dataclasses.replace(config, **{k: getattr(defaults, k) for k in _SAMPLE_OPTIONS})


def _group_models(dataset: str, config) -> list[dict]:
    """Per group: share, prior P(f=1), label noise, cue means (m0, m1) and sigma, and the cells of the
    other finding-dependent latents as (P(cell | f=0), P(cell | f=1)) pairs."""
    if dataset == "synthetic_faces":
        from .synthetic_faces import LIFT_JITTER, MAX_LIFT
        shares = (1 - config.group_proportion, config.group_proportion)
        models = []
        for g in (0, 1):
            m = (1 - config.difficulty[g]) * MAX_LIFT
            models.append({"share": shares[g], "prior": config.base_rate[g], "noise": config.label_noise[g],
                           "means": (-m, m), "sigma": LIFT_JITTER, "cells": [(1.0, 1.0)]})
        return models
    from .synthetic_xray import CUE_JITTER, MAX_CUE
    share = config.female_proportion if config.sensitive == "sex" else config.older_proportion
    ap, device = config.ap_rate, config.device_rate
    cells = [tuple((ap[f] if a else 1 - ap[f]) * (device[f] if d else 1 - device[f]) for f in (0, 1))
             for a in (0, 1) for d in (0, 1)]
    models = []
    for g in (0, 1):
        m = (1 - config.difficulty[g]) * MAX_CUE[config.target]
        models.append({"share": (1 - share, share)[g], "prior": config.prevalence[g], "noise": config.label_noise[g],
                       "means": (0.0, m), "sigma": CUE_JITTER[config.target], "cells": cells})
    return models


def decision_threshold(w0: float, w1: float, m0: float, m1: float, sigma: float, noise: float) -> float:
    """The cue above which the Bayes rule predicts y = 1 (-inf: always, +inf: never), for class weights
    w_f = P(f, other latents), cue ~ Normal(m_f, sigma) with m1 >= m0, labels flipped with probability ``noise``."""
    if noise >= 0.5 or w0 == 0:
        return -np.inf           # every latent a tie (noise 0.5) or no negatives: predict 1
    if w1 == 0:
        return np.inf
    if m1 == m0:
        return -np.inf if w1 >= w0 else np.inf
    return (m1 + m0) / 2 + sigma ** 2 * np.log(w0 / w1) / (m1 - m0)


def _rates(p1_pred, p0_pred, prior, noise) -> dict:
    """A group's rates from P(predict 1 | f=1), P(predict 1 | f=0), P(f=1) and the label noise."""
    pos_pred = prior * (1 - noise) * p1_pred + (1 - prior) * noise * p0_pred        # P(y=1, ŷ=1)
    neg_pred = prior * noise * p1_pred + (1 - prior) * (1 - noise) * p0_pred        # P(y=0, ŷ=1)
    positive = prior * (1 - noise) + (1 - prior) * noise                            # P(y=1)
    return {"pos_pred": pos_pred, "neg_pred": neg_pred, "positive": positive}


def _table(groups: list[dict], labels: tuple[str, str]) -> pd.DataFrame:
    """Rows per group and "all" from each group's share and joint probabilities."""
    rows = {}
    total = {k: 0.0 for k in ("share", "pos_pred", "neg_pred", "positive")}
    for label, g in zip(labels, groups):
        for k in total:
            total[k] += g["share"] * (1 if k == "share" else g[k])
        rows[label] = g
    rows["all"] = {k: total[k] / total["share"] if k != "share" else total["share"] for k in total}

    def row(g):
        negative = 1 - g["positive"]
        return {"share": g["share"], "base_rate": g["positive"],
                "tpr": g["pos_pred"] / g["positive"] if g["positive"] > 0 else np.nan,
                "fpr": g["neg_pred"] / negative if negative > 0 else np.nan,
                "accuracy": g["pos_pred"] + negative - g["neg_pred"],
                "selection_rate": g["pos_pred"] + g["neg_pred"]}

    frame = pd.DataFrame({label: row(g) for label, g in rows.items()}).T[list(COLUMNS)].astype(float)
    frame.index.name = "group"
    return frame


def _analytic(dataset: str, config) -> pd.DataFrame:
    groups = []
    for model in _group_models(dataset, config):
        prior, noise, (m0, m1), sigma = model["prior"], model["noise"], model["means"], model["sigma"]
        p_pred = [0.0, 0.0]                                    # P(ŷ = 1 | f) for f = 0, 1
        for c0, c1 in model["cells"]:
            t = decision_threshold((1 - prior) * c0, prior * c1, m0, m1, sigma, noise)
            p_pred[0] += c0 * float(ndtr((m0 - t) / sigma))
            p_pred[1] += c1 * float(ndtr((m1 - t) / sigma))
        groups.append({"share": model["share"], **_rates(p_pred[1], p_pred[0], prior, noise)})
    return _table(groups, _group_labels(dataset, config))


def _group_labels(dataset: str, config) -> tuple[str, str]:
    if dataset == "synthetic_faces":
        from .synthetic_faces import described
    else:
        from .synthetic_xray import described
    return tuple(described(config)[2])


# --- Monte Carlo: the generator's own draws, Bayes' rule applied to each ---

def bayes_predictions(dataset: str, config, attrs: dict[str, np.ndarray]) -> np.ndarray:
    """The Bayes rule's prediction (bool) for each drawn example: P(y=1 | its latents) >= 0.5, computed by
    Bayes' rule from the latents in ``attrs`` (from the generator's ``generate_attributes``)."""
    config = _config_of(dataset, config)
    models = _group_models(dataset, config)
    group = attrs["group"]
    if dataset == "synthetic_faces":
        cue, cell = attrs["lift"], np.zeros(len(group), dtype=np.int64)
    else:
        cue = attrs[config.target]
        cell = 2 * attrs["ap"].astype(np.int64) + attrs["device"].astype(np.int64)
    prior = np.array([m["prior"] for m in models])[group]
    noise = np.array([m["noise"] for m in models])[group]
    means = np.array([m["means"] for m in models])[group]
    sigma = np.array([m["sigma"] for m in models])[group]
    cells = np.array([m["cells"] for m in models])[group, cell]            # [n, 2]: P(cell | f=0), P(cell | f=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log1 = np.log(prior * cells[:, 1]) - 0.5 * ((cue - means[:, 1]) / sigma) ** 2
        log0 = np.log((1 - prior) * cells[:, 0]) - 0.5 * ((cue - means[:, 0]) / sigma) ** 2
        p_finding = 1 / (1 + np.exp(np.clip(log0 - log1, -700, 700)))
        p_finding = np.where(np.isneginf(log0), 1.0, np.where(np.isneginf(log1), 0.0, p_finding))
    return noise + (1 - 2 * noise) * p_finding >= 0.5


def _monte_carlo(dataset: str, config, n: int, seed: int, chunk: int = 250_000) -> pd.DataFrame:
    if dataset == "synthetic_faces":
        from .synthetic_faces import generate_attributes
    else:
        from .synthetic_xray import generate_attributes
    rng = np.random.default_rng(seed)
    counts = np.zeros((2, 4))                                  # per group: n, y=1, y=1 & ŷ=1, y=0 & ŷ=1
    for start in range(0, n, chunk):
        attrs = generate_attributes(min(chunk, n - start), config, rng)
        predicted = bayes_predictions(dataset, config, attrs)
        group, y = attrs["group"], attrs["label"].astype(bool)
        for g in (0, 1):
            mine = group == g
            counts[g] += (mine.sum(), (mine & y).sum(), (mine & y & predicted).sum(), (mine & ~y & predicted).sum())
    total = counts[:, 0].sum()
    groups = [{"share": c[0] / total, "positive": c[1] / c[0], "pos_pred": c[2] / c[0], "neg_pred": c[3] / c[0]}
              for c in counts]
    return _table(groups, _group_labels(dataset, config))


# --- the public API ---

@lru_cache(maxsize=256)
def _floor(dataset: str, config, method: str, n: int, seed: int) -> pd.DataFrame:
    if method == "analytic":
        return _analytic(dataset, config)
    return _monte_carlo(dataset, config, n, seed)


def bayes_floor(dataset: str, config=None, method: str = "analytic", n: int = 2_000_000,
                seed: int = 0) -> pd.DataFrame:
    """The Bayes-optimal classifier's rates per group: a DataFrame indexed by group label (the dataset's
    ``group_labels``, e.g. "lighter", "darker") and "all", with columns share, base_rate (P(y=1), the
    observed label), tpr, fpr, accuracy and selection_rate, all against the observed label.

    ``config``: a FaceConfig / XrayConfig, a dict of its options (over the defaults), or None (the
    defaults). ``method``: "analytic" (normal CDFs over the decision region; about a millisecond) or
    "monte_carlo" (``n`` examples drawn by the generator with ``seed``; about a second per million faces).
    Results are cached per config; the sizes, seed, image size and pixel noise of ``config`` are ignored.
    """
    if method not in ("analytic", "monte_carlo"):
        raise ValueError(f"method={method!r} must be 'analytic' or 'monte_carlo'.")
    if not (isinstance(n, int) and n > 0):
        raise ValueError(f"n must be a positive number of Monte Carlo draws, got {n!r}.")
    config = _config_of(dataset, config)
    return _floor(dataset, config, method, n if method == "monte_carlo" else 0,
                  seed if method == "monte_carlo" else 0).copy()


def floor_disparities(floor: pd.DataFrame) -> dict[str, float]:
    """The disparities of a ``bayes_floor`` table, fairlearn's definitions over its groups (not "all"):
    demographic_parity_difference (selection rate), equal_opportunity_difference (TPR),
    equalized_odds_difference (the larger of the TPR and FPR differences), accuracy_difference."""
    groups = floor.drop(index="all", errors="ignore")
    spread = {c: float(groups[c].max() - groups[c].min()) for c in ("tpr", "fpr", "accuracy", "selection_rate")}
    return {name: max(spread[c] for c in rates) for name, rates in DISPARITY_RATES.items()}


def bayes_floor_for(run_config, method: str = "analytic") -> pd.DataFrame:
    """The floor of a run's data: ``run_config.dataset`` with its options ``run_config.data`` over the
    generator's defaults (a fairgap.train.RunConfig, or anything with ``dataset`` and ``data``).
    ``floor_disparities`` of the result gives its disparities."""
    return bayes_floor(run_config.dataset, dict(run_config.data or {}), method=method)


# Identities (fairgap.data.synthetic_identities): the latents of a photo include its person (code and traits), so a
# verifier that reads them accepts every genuine pair and no impostor pair: TAR 1 at every FAR and EER 0 in both
# groups. The floor of every verification gap is 0; what a network shows is all learnable-but-not-learned or the
# train-population gap. (From the pixels a person is known only up to pixel noise and the photo's nuisance; like
# the classification floors, this one conditions on the latents.)
VERIFICATION_FLOOR_DATASETS = ("synthetic_identities",)


def verification_floor(dataset: str) -> float | None:
    """The Bayes floor of any verification gap (TAR at a FAR, EER) on ``dataset``: 0 on generated identities, None on
    real data (no known generator)."""
    return 0.0 if dataset in VERIFICATION_FLOOR_DATASETS else None

