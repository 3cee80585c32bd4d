"""Evaluation metrics, per group and as disparities between groups, computed with fairlearn.

Variants used (they match fairlearn's definitions; names say which):

* ``demographic_parity_difference``  = max_g P(Ŷ=1 | G=g) − min_g P(Ŷ=1 | G=g)
* ``equal_opportunity_difference``   = max_g TPR_g − min_g TPR_g
* ``equalized_odds_difference``      = max(TPR difference, FPR difference)  (fairlearn's "worst_case")
* ``accuracy_difference``            = max_g acc_g − min_g acc_g
* ``auc_difference``                 = max_g AUC_g − min_g AUC_g

where Ŷ = 1[score ≥ threshold], TPR_g = P(Ŷ=1 | Y=1, G=g) and FPR_g = P(Ŷ=1 | Y=0, G=g).
All differences are "between groups" (largest minus smallest), so they are ≥ 0 and
defined for any number of groups.
"""

from __future__ import annotations

import warnings

import numpy as np
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from sklearn.metrics import accuracy_score, roc_auc_score

PER_GROUP_METRICS = ("n", "loss", "accuracy", "tpr", "fpr", "selection_rate", "auc")
DISPARITIES = {
    "demographic_parity_difference": ("selection_rate",),
    "equal_opportunity_difference": ("tpr",),
    "equalized_odds_difference": ("tpr", "fpr"),
    "accuracy_difference": ("accuracy",),
    "auc_difference": ("auc",),
}
OVERALL = "all"
EPS = 1e-7


def _binary_cross_entropy(y_true, score):
    score = np.clip(score, EPS, 1 - EPS)
    return float(-np.mean(y_true * np.log(score) + (1 - y_true) * np.log(1 - score)))


def _auc(y_true, score):
    """ROC AUC; NaN (not an error) when a group holds only one class."""
    return float(roc_auc_score(y_true, score)) if len(np.unique(y_true)) == 2 else float("nan")


def _rate_or_nan(rate, condition_label):
    """TPR/FPR are undefined (NaN) for a group with no positives/negatives."""
    def metric(y_true, predicted, sample_weight):
        if not np.any((y_true == condition_label) & (sample_weight > 0)):
            return float("nan")
        return float(rate(y_true, predicted, pos_label=1, sample_weight=sample_weight))
    return metric


COUNTING_METRICS = {
    "n": lambda y, p, sample_weight: float(np.sum(sample_weight)),
    "accuracy": lambda y, p, sample_weight: float(accuracy_score(y, p, sample_weight=sample_weight)),
    "tpr": _rate_or_nan(true_positive_rate, 1),
    "fpr": _rate_or_nan(false_positive_rate, 0),
    "selection_rate": lambda y, p, sample_weight: float(selection_rate(y, p, sample_weight=sample_weight)),
}
SCORE_METRICS = {"loss": _binary_cross_entropy, "auc": _auc}


def group_metric_frames(y_true, score, group, threshold: float = 0.5) -> tuple[MetricFrame, MetricFrame]:
    """Two fairlearn MetricFrames: the counting metrics (n, accuracy, TPR, FPR, selection rate) and
    the score metrics (loss, AUC), per group of ``group``.

    Counting metrics depend only on (group, label, prediction), so they are computed on those
    cells (at most four per group) weighted by their counts: the same values, computed on a
    handful of rows instead of every example (fairlearn's per-row overhead dominates otherwise).
    """
    y_true, score, group = np.asarray(y_true), np.asarray(score, dtype=np.float64), np.asarray(group)
    predicted = (score >= threshold).astype(y_true.dtype)
    cells, counts = np.unique(np.stack([group, y_true, predicted]), axis=1, return_counts=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on one-class groups; we return NaN there instead
        counting = MetricFrame(metrics=COUNTING_METRICS, y_true=cells[1], y_pred=cells[2],
                               sensitive_features=cells[0],
                               sample_params={name: {"sample_weight": counts} for name in COUNTING_METRICS})
        scoring = MetricFrame(metrics=SCORE_METRICS, y_true=y_true, y_pred=score, sensitive_features=group)
    return counting, scoring


def is_collapsed(score, threshold: float = 0.5) -> bool:
    """A constant predictor (every example on one side of the threshold) is trivially 'fair'."""
    predicted = np.asarray(score) >= threshold
    return bool(predicted.all() or (~predicted).all())


def evaluate(y_true, score, group, threshold: float = 0.5, group_labels=None) -> list[dict]:
    """Tidy rows {group, metric, value}: each metric per group and overall, the disparities, collapse.

    ``group_labels`` maps group codes to names for the ``group`` column; overall rows and
    disparities use group ``"all"``.
    """
    counting, scoring = group_metric_frames(y_true, score, group, threshold)
    by_group = counting.by_group.join(scoring.by_group)
    overall = {**counting.overall.to_dict(), **scoring.overall.to_dict()}
    differences = {**counting.difference(method="between_groups").to_dict(),
                   **scoring.difference(method="between_groups").to_dict()}
    label = (lambda g: str(group_labels[int(g)])) if group_labels is not None else str
    rows = []
    for g, values in by_group.iterrows():
        rows += [{"group": label(g), "metric": m, "value": float(values[m])} for m in PER_GROUP_METRICS]
    rows += [{"group": OVERALL, "metric": m, "value": float(overall[m])} for m in PER_GROUP_METRICS]
    for name, components in DISPARITIES.items():
        rows.append({"group": OVERALL, "metric": name, "value": float(max(differences[c] for c in components))})
    rows.append({"group": OVERALL, "metric": "collapsed", "value": float(is_collapsed(score, threshold))})
    return rows


def check_disparity(name: str) -> str:
    """Fail early, naming the valid disparities, rather than draw an empty figure."""
    if name not in DISPARITIES:
        raise ValueError(f"Unknown disparity metric {name!r}. Valid: {', '.join(DISPARITIES)}.")
    return name
