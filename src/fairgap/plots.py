"""One function per figure. Each returns (figure, the tidy table it draws) for ``save_figure``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

SPLIT_DASHES = {"train": "", "val": (1, 1), "test": (4, 2)}
METRIC_LABELS = {
    "equalized_odds_difference": "equalized odds difference\n(worst case of TPR and FPR gaps)",
    "equal_opportunity_difference": "equal opportunity difference\n(TPR gap)",
    "demographic_parity_difference": "demographic parity difference\n(selection-rate gap)",
    "accuracy_difference": "accuracy difference",
    "accuracy": "accuracy",
}


def _style():
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.15)


def fairness_overfits(history: pd.DataFrame, disparity: str = "equalized_odds_difference",
                      splits=("train", "test")):
    """F1: the disparity per epoch on train (solid) and test (dashed) for each method,
    beside each group's accuracy. Multiple seeds are averaged with a 95% CI band."""
    _style()
    h = history[history.split.isin(splits)]
    groups = [g for g in h[h.metric == "accuracy"].group.unique() if g != "all"]
    panels = [(disparity, "all", METRIC_LABELS.get(disparity, disparity))]
    panels += [("accuracy", g, f"accuracy, group {g}") for g in groups]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.0), sharex=True)
    data = []
    for ax, (metric, group, title) in zip(axes, panels):
        part = h[(h.metric == metric) & (h.group == group)]
        data.append(part)
        sns.lineplot(data=part, x="epoch", y="value", hue="method", style="split", dashes=SPLIT_DASHES,
                     errorbar=("ci", 95), ax=ax, legend=ax is axes[-1])
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("_", " ") + (" (0 = equal)" if metric != "accuracy" else ""))
        ax.set_ylim(bottom=0, top=1.02 if metric == "accuracy" else None)
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle("Train fairness (solid) does not carry over to test (dashed)", y=1.02)
    fig.tight_layout()
    return fig, pd.concat(data, ignore_index=True)
