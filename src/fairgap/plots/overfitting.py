"""F1 (notebook 01): train and test disparity per epoch."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .common import METRIC_LABELS, SPLIT_DASHES, set_style


def fairness_overfits(history: pd.DataFrame, disparity: str = "equalized_odds_difference",
                      splits=("train", "test")):
    """F1: the disparity per epoch on train (solid) and test (dashed) for each method,
    beside each group's accuracy. Multiple seeds are averaged with a 95% CI band."""
    set_style()
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
