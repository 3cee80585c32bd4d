"""F7 (notebook 07): test disparity against test accuracy for each remedy, Pareto front marked."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..sweep import remedy_summary
from ..metrics import check_disparity
from .common import METRIC_LABELS, set_style


def remedies(table: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """Means over seeds with 95% CI bars in both directions; the Pareto front (lower disparity,
    higher accuracy) is joined by a line and its points are filled."""
    check_disparity(disparity)
    set_style()
    summary = remedy_summary(table, disparity).reset_index()
    x, y = f"test {disparity}", "test accuracy"
    fig, ax = plt.subplots(figsize=(8.5, 6))
    colours = plt.get_cmap("tab10")
    for i, row in summary.iterrows():
        ax.errorbar(row[x], row[y], xerr=row[f"{x} ci"], yerr=row[f"{y} ci"], fmt="o", ms=8, capsize=3,
                    color=colours(i % 10), mfc=colours(i % 10) if row.pareto else "white", label=row.label)
    front = summary[summary.pareto].sort_values(x)
    ax.plot(front[x], front[y], color="black", lw=1, ls=":", label="Pareto front")
    ax.set(xlabel=f"test {METRIC_LABELS.get(disparity, disparity)}  (lower is fairer)",
           ylabel="test accuracy", title="Remedies: test fairness against test accuracy (mean ± 95% CI over seeds)")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig, summary
