"""Post-processing: group-specific (randomised) thresholds fitted on held-out scores.

Hardt, Price, Srebro, "Equality of Opportunity in Supervised Learning", NeurIPS 2016, through
fairlearn's ``ThresholdOptimizer``. The network is trained as usual; its scores on a held-out
split (validation by default) choose, per group, the thresholds (randomised between two when
needed) that maximise ``objective`` subject to ``constraint``; the rule is then applied to the
other splits. Because it is fitted on data the network did not train on, it does not inherit
the train-set overfitting that in-training constraints suffer from.

The scores are wrapped in a tiny estimator whose ``predict`` returns the stored score
(``prefit=True``, ``predict_method="predict"``), so no model is refitted.
"""

from __future__ import annotations

import numpy as np
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.base import BaseEstimator, ClassifierMixin

from .metrics import evaluate

CONSTRAINTS = ("equalized_odds", "demographic_parity", "true_positive_rate_parity", "false_positive_rate_parity",
               "selection_rate_parity", "false_negative_rate_parity", "true_negative_rate_parity")
OBJECTIVES = ("balanced_accuracy_score", "accuracy_score", "selection_rate", "true_positive_rate",
              "true_negative_rate")


class StoredScore(BaseEstimator, ClassifierMixin):
    """A 'fitted' estimator whose input is the score itself: ``predict(X)`` returns ``X[:, 0]``."""

    def __init__(self):
        self.fitted_ = True   # marks it fitted for sklearn's check_is_fitted (prefit=True)

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return np.asarray(X, dtype=np.float64)[:, 0]


def _as_column(scores) -> np.ndarray:
    return np.asarray(scores, dtype=np.float64).reshape(-1, 1)


def fit_threshold_optimizer(scores_val, y_val, g_val, constraint: str = "equalized_odds",
                            objective: str = "balanced_accuracy_score", seed: int = 0) -> ThresholdOptimizer:
    """Fit group-specific thresholds on held-out ``scores_val`` (probabilities), labels and groups."""
    if constraint not in CONSTRAINTS:
        raise ValueError(f"Unknown constraint {constraint!r}. Valid constraints: {', '.join(CONSTRAINTS)}.")
    if objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}. Valid objectives: {', '.join(OBJECTIVES)}.")
    if constraint == "equalized_odds" and objective not in ("balanced_accuracy_score", "accuracy_score"):
        raise ValueError(f"equalized_odds supports the objectives balanced_accuracy_score and accuracy_score, "
                         f"not {objective!r}.")
    y_val, g_val = np.asarray(y_val).astype(int), np.asarray(g_val)
    for group in np.unique(g_val):
        if len(np.unique(y_val[g_val == group])) < 2:
            raise ValueError(f"Group {group!r} has only one class in the split used to fit the thresholds; "
                             f"both classes are needed per group.")
    optimizer = ThresholdOptimizer(estimator=StoredScore(), constraints=constraint, objective=objective,
                                   prefit=True, predict_method="predict")
    # fairlearn randomises only at prediction time; the seed is kept for apply_threshold_optimizer's default.
    optimizer.fit(_as_column(scores_val), y_val, sensitive_features=g_val)
    optimizer.seed_ = seed
    return optimizer


def apply_threshold_optimizer(fitted: ThresholdOptimizer, scores, g, seed: int | None = None) -> np.ndarray:
    """Hard 0/1 predictions of the fitted rule on ``scores`` of groups ``g`` (randomised, reproducible by seed)."""
    seed = getattr(fitted, "seed_", 0) if seed is None else seed
    predictions = fitted.predict(_as_column(scores), sensitive_features=np.asarray(g), random_state=seed)
    return np.asarray(predictions).astype(np.int64)


def postprocessed_metrics(result_scores: dict, fit_split: str = "val", group_labels=None,
                          constraint: str = "equalized_odds", objective: str = "balanced_accuracy_score",
                          seed: int = 0) -> list[dict]:
    """Fit thresholds on ``fit_split`` and evaluate the other splits' post-processed predictions.

    ``result_scores`` is RunResult.scores: split -> {"score", "target", "group"} (and "weight" where the split
    is a weighted population sample); every split but
    ``fit_split`` is evaluated, the generator's "population" included where the run has one (so that
    post-processing is judged on the population like the trained remedies). Returns tidy rows
    {split, group, metric, value} as fairgap.metrics.evaluate gives them, with the 0/1
    predictions as scores (so AUC and loss describe hard predictions).
    """
    if fit_split not in result_scores:
        raise ValueError(f"Split {fit_split!r} is not among the scored splits {sorted(result_scores)}; "
                         f"fit the thresholds on a held-out split that exists (train with a validation split).")
    held_out = result_scores[fit_split]
    fitted = fit_threshold_optimizer(held_out["score"], held_out["target"], held_out["group"], constraint,
                                     objective, seed)
    rows = []
    for split, parts in result_scores.items():
        if split == fit_split:
            continue
        predictions = apply_threshold_optimizer(fitted, parts["score"], parts["group"], seed).astype(np.float64)
        for row in evaluate(parts["target"], predictions, parts["group"], 0.5, group_labels, parts.get("weight")):
            rows.append({"split": split, **row})
    return rows
