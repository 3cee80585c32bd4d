"""Evaluation metrics, per group and as disparities between groups.

Variants used (they match fairlearn's definitions; names say which):

* ``demographic_parity_difference``  = max_g P(Ŷ=1 | G=g) − min_g P(Ŷ=1 | G=g)
* ``equal_opportunity_difference``   = max_g TPR_g − min_g TPR_g
* ``equalized_odds_difference``      = max(TPR difference, FPR difference)  (fairlearn's "worst_case")
* ``accuracy_difference``            = max_g acc_g − min_g acc_g
* ``auc_difference``                 = max_g AUC_g − min_g AUC_g

where Ŷ = 1[score ≥ threshold], TPR_g = P(Ŷ=1 | Y=1, G=g) and FPR_g = P(Ŷ=1 | Y=0, G=g).
With per-example weights (a population sample drawn stratified, ``fairgap.data.population``) every
probability is the weighted one (fairlearn's ``sample_weight``); ``n`` always counts examples.
All differences are "between groups" (largest minus smallest, over the groups where the metric is
defined), so they are ≥ 0 and defined for any number of groups.

Two implementations of the same definitions:

* ``evaluate`` — the one the training loop calls every epoch: per-group confusion counts with one
  ``bincount`` (on the device the scores are on), the loss from per-group sums, and the rank-based
  AUC (Mann–Whitney: P(score of a positive > score of a negative), ties count one half). About a
  millisecond on a few thousand examples.
* ``reference_evaluate`` — the same rows through fairlearn's ``MetricFrame`` and scikit-learn's
  metrics, the reference definition; the tests check that both agree to 1e-9.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

PER_GROUP_METRICS = ("n", "base_rate", "loss", "accuracy", "tpr", "fpr", "selection_rate", "auc")
DISPARITIES = {
    "demographic_parity_difference": ("selection_rate",),
    "equal_opportunity_difference": ("tpr",),
    "equalized_odds_difference": ("tpr", "fpr"),
    "accuracy_difference": ("accuracy",),
    "auc_difference": ("auc",),
}
OVERALL = "all"
EPS = 1e-7


def _binary_cross_entropy(y_true, score, sample_weight=None):
    score = np.clip(score, EPS, 1 - EPS)
    return float(-np.average(y_true * np.log(score) + (1 - y_true) * np.log(1 - score), weights=sample_weight))


def _auc(y_true, score, sample_weight=None):
    """ROC AUC; NaN (not an error) when a group holds only one class."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y_true)) < 2:
        return float("nan")
    return float(roc_auc_score(y_true, score, sample_weight=sample_weight))


def _rate_or_nan(rate_name, condition_label):
    """TPR/FPR are undefined (NaN) for a group with no positives/negatives."""
    def metric(y_true, predicted, sample_weight):
        import fairlearn.metrics

        if not np.any((y_true == condition_label) & (sample_weight > 0)):
            return float("nan")
        rate = getattr(fairlearn.metrics, rate_name)
        return float(rate(y_true, predicted, pos_label=1, sample_weight=sample_weight))
    return metric


def _accuracy(y, p, sample_weight):
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y, p, sample_weight=sample_weight))


def _selection_rate(y, p, sample_weight):
    from fairlearn.metrics import selection_rate

    return float(selection_rate(y, p, sample_weight=sample_weight))


COUNTING_METRICS = {
    "n": lambda y, p, sample_weight: float(np.sum(sample_weight)),   # given the cells' counts, never weights
    # the share of positive labels: with n, how many examples a group's TPR and FPR rest on
    "base_rate": lambda y, p, sample_weight: float(np.average(y, weights=sample_weight)),
    "accuracy": _accuracy,
    "tpr": _rate_or_nan("true_positive_rate", 1),
    "fpr": _rate_or_nan("false_positive_rate", 0),
    "selection_rate": _selection_rate,
}
SCORE_METRICS = {"loss": _binary_cross_entropy, "auc": _auc}


def group_metric_frames(y_true, score, group, threshold: float = 0.5,
                        weight=None) -> tuple[MetricFrame, MetricFrame]:
    """Two fairlearn MetricFrames: the counting metrics (n, accuracy, TPR, FPR, selection rate) and
    the score metrics (loss, AUC), per group of ``group``, with per-example ``weight`` (None: one each).

    Counting metrics depend only on (group, label, prediction), so they are computed on those
    cells (at most four per group) weighted by their counts (their weights' sums): the same values,
    computed on a handful of rows instead of every example (fairlearn's per-row overhead dominates otherwise).
    """
    from fairlearn.metrics import MetricFrame

    y_true, score, group = np.asarray(y_true), np.asarray(score, dtype=np.float64), np.asarray(group)
    weight = np.ones(len(y_true)) if weight is None else np.asarray(weight, dtype=np.float64)
    predicted = (score >= threshold).astype(y_true.dtype)
    cells, inverse, counts = np.unique(np.stack([group, y_true, predicted]), axis=1, return_inverse=True,
                                       return_counts=True)
    weights = np.bincount(inverse.ravel(), weights=weight, minlength=len(counts))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on one-class groups; we return NaN there instead
        counting = MetricFrame(metrics=COUNTING_METRICS, y_true=cells[1], y_pred=cells[2],
                               sensitive_features=cells[0],
                               sample_params={name: {"sample_weight": counts if name == "n" else weights}
                                              for name in COUNTING_METRICS})
        scoring = MetricFrame(metrics=SCORE_METRICS, y_true=y_true, y_pred=score, sensitive_features=group,
                              sample_params={name: {"sample_weight": weight} for name in SCORE_METRICS})
    return counting, scoring


def is_collapsed(score, threshold: float = 0.5) -> bool:
    """A constant predictor (every example on one side of the threshold) is trivially 'fair'."""
    predicted = np.asarray(score) >= threshold
    return bool(predicted.all() or (~predicted).all())


def reference_evaluate(y_true, score, group, threshold: float = 0.5, group_labels=None, weight=None) -> list[dict]:
    """``evaluate`` computed with fairlearn's MetricFrame: the reference definition (slow; for tests)."""
    counting, scoring = group_metric_frames(y_true, score, group, threshold, weight)
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


def evaluate(y_true, score, group, threshold: float = 0.5, group_labels=None, weight=None) -> list[dict]:
    """Tidy rows {group, metric, value}: each metric per group and overall, the disparities, collapse.

    Inputs are arrays or tensors (a tensor stays on its device until the handful of results is read).
    ``group_labels`` maps group codes to names for the ``group`` column; overall rows and disparities
    use group ``"all"``. Groups are those present in ``group``; a metric undefined for a group
    (TPR without positives, AUC with one class) is NaN there and left out of the disparities.
    ``weight``: per-example weights (None: one each); every rate and the loss are then weighted, ``n``
    still counts examples.
    """
    y, s, g = (torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a) for a in (y_true, score, group))
    y = y.to(torch.int64)
    s = s.to(torch.float64)
    codes, g = torch.unique(g, return_inverse=True)
    k = len(codes)
    w = None if weight is None else torch.as_tensor(weight, dtype=torch.float64).to(s.device)
    predicted = (s >= threshold).to(torch.int64)

    def per_cell(weights):
        # [group, label, prediction] sums, plus the overall table as group k
        table = torch.bincount(g * 4 + y * 2 + predicted, weights=weights, minlength=4 * k).view(k, 2, 2)
        return torch.cat([table, table.sum(0, keepdim=True)]).to(torch.float64)

    cells = per_cell(w)
    clipped = s.clamp(EPS, 1 - EPS)
    log_likelihood = torch.where(y == 1, clipped.log(), (1 - clipped).log())
    loss_sums = torch.bincount(g, weights=log_likelihood if w is None else log_likelihood * w, minlength=k)
    loss_sums = torch.cat([loss_sums, loss_sums.sum().view(1)])
    n = cells.sum(dim=(1, 2))
    positives, negatives = cells[:, 1].sum(1), cells[:, 0].sum(1)
    table = {
        "n": n if w is None else per_cell(None).sum(dim=(1, 2)),
        "base_rate": positives / n,
        "loss": -loss_sums / n,
        "accuracy": (cells[:, 0, 0] + cells[:, 1, 1]) / n,
        "tpr": cells[:, 1, 1] / positives,    # 0/0 = NaN (torch does not warn): no positives
        "fpr": cells[:, 0, 1] / negatives,
        "selection_rate": (cells[:, 0, 1] + cells[:, 1, 1]) / n,
    }
    table = {name: values.cpu().numpy() for name, values in table.items()}
    table["auc"] = np.array([rank_auc(y[g == i], s[g == i], None if w is None else w[g == i]) for i in range(k)]
                            + [rank_auc(y, s, w)])
    label = (lambda c: str(group_labels[int(c)])) if group_labels is not None else (lambda c: str(c.item()))
    rows = [{"group": label(codes[i]), "metric": m, "value": float(table[m][i])}
            for i in range(k) for m in PER_GROUP_METRICS]
    rows += [{"group": OVERALL, "metric": m, "value": float(table[m][k])} for m in PER_GROUP_METRICS]
    for name, components in DISPARITIES.items():
        rows.append({"group": OVERALL, "metric": name,
                     "value": float(max(_between_groups(table[c][:k]) for c in components))})
    collapsed = bool(predicted.min() == predicted.max()) if len(predicted) else True
    rows.append({"group": OVERALL, "metric": "collapsed", "value": float(collapsed)})
    return rows


def _between_groups(values: np.ndarray) -> float:
    """Largest minus smallest over the groups where the metric is defined (fairlearn's "between_groups")."""
    defined = values[~np.isnan(values)]
    return float(defined.max() - defined.min()) if len(defined) else float("nan")


def rank_auc(y: torch.Tensor, score: torch.Tensor, weight: torch.Tensor | None = None) -> float:
    """ROC AUC as the Mann–Whitney statistic: the share of (positive, negative) pairs the score orders
    correctly, ties counting one half; NaN when ``y`` holds only one class.

    AUC = (Σ rank(positives) − n₁(n₁+1)/2) / (n₁ n₀), with tied scores given their average rank.
    Weighted (a pair counts w_i w_j): AUC = Σ_{i positive} w_i (W₀(s < s_i) + W₀(s = s_i) / 2) / (W₁ W₀),
    with W₀(·) the negatives' weight in a range of scores and W₁, W₀ the classes' total weights.
    """
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ordered, order = torch.sort(score)
    _, inverse, counts = torch.unique_consecutive(ordered, return_inverse=True, return_counts=True)
    if weight is not None:
        w, positive = weight[order].to(torch.float64), y[order] == 1
        negative_weight = torch.bincount(inverse, weights=torch.where(positive, 0.0, w), minlength=len(counts))
        below = torch.cumsum(negative_weight, 0) - negative_weight   # negatives' weight under each tie block
        won = (w * (below + negative_weight / 2)[inverse])[positive].sum()
        return float(won / (w[positive].sum() * w[~positive].sum()))
    ends = torch.cumsum(counts, 0).to(torch.float64)
    average_rank = (ends - counts + 1 + ends) / 2          # ranks start+1 … end share their mean
    positive_rank_sum = average_rank[inverse][y[order] == 1].sum()
    return float((positive_rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0))


def check_disparity(name: str) -> str:
    """Fail early, naming the valid disparities, rather than draw an empty figure."""
    if name not in DISPARITIES:
        raise ValueError(f"Unknown disparity metric {name!r}. Valid: {', '.join(DISPARITIES)}.")
    return name
