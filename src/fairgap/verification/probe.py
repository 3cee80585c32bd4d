"""What the embeddings still reveal about the sensitive attribute.

A fresh classifier (logistic regression) is trained to predict the sensitive group from the
embeddings of the training identities and scored on the embeddings of unseen identities. An
adversarially trained model is meant to hide the group; if the probe still finds it on unseen
people, the removal did not generalize (or never happened beyond the adversary's reach).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def attribute_probe(embeddings: dict[str, dict[str, np.ndarray]], fit_splits=("train",), score_splits=("test",),
                    seed: int = 0) -> list[dict]:
    """Rows {fit_on, scored_on, metric, value}: accuracy, AUC and the majority-class accuracy of the probe."""
    missing = [s for s in (*fit_splits, *score_splits) if s not in embeddings]
    if missing:
        raise ValueError(f"No embeddings for split(s) {missing}; the run kept {sorted(embeddings)}.")
    x = np.concatenate([embeddings[s]["embedding"] for s in fit_splits])
    y = np.concatenate([embeddings[s]["group"] for s in fit_splits])
    if len(np.unique(y)) < 2:
        raise ValueError("The probe needs both groups among the training-identity embeddings.")
    probe = LogisticRegression(max_iter=2000, C=1.0, random_state=seed).fit(x, y)
    rows = []
    for split in score_splits:
        xs, ys = embeddings[split]["embedding"], embeddings[split]["group"]
        probability = probe.predict_proba(xs)[:, 1]
        share = float(np.mean(ys == np.bincount(y).argmax()))
        values = {"accuracy": float(np.mean(probe.predict(xs) == ys)),
                  "auc": float(roc_auc_score(ys, probability)) if len(np.unique(ys)) == 2 else float("nan"),
                  "majority_accuracy": share}
        rows += [{"fit_on": "+".join(fit_splits), "scored_on": split, "metric": m, "value": v} for m, v in values.items()]
    return rows


def probe_table(results: dict, fit_splits=("train",), score_splits=("test",)) -> pd.DataFrame:
    """One row per labelled run: the probe's accuracy and AUC on each scored split."""
    rows = []
    for label, result in results.items():
        for row in attribute_probe(result.embeddings, fit_splits, score_splits, seed=result.config.seed):
            rows.append({"run": label, **row})
    frame = pd.DataFrame(rows)
    return frame.pivot_table(index="run", columns=["scored_on", "metric"], values="value", sort=False)
