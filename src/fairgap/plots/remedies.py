"""F7 (notebook 07): test disparity against test accuracy for each remedy, Pareto front marked."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..sweep import remedy_summary
from ..metrics import check_disparity
from .common import METRIC_LABELS, seeds_note, set_style


def remedies(table: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """Means over seeds with 95% Student-t intervals over seeds in both directions
    (asymmetric, inside [0, 1]); the Pareto front of the means (lower disparity, higher accuracy)
    is joined by a line and its points are filled; a remedy whose intervals reach the front is
    marked in the legend."""
    check_disparity(disparity)
    set_style()
    summary = remedy_summary(table, disparity).reset_index()
    x, y = f"test {disparity}", "test accuracy"
    fig, ax = plt.subplots(figsize=(8.5, 6))
    colours = plt.get_cmap("tab10")
    for i, row in summary.iterrows():
        xerr = np.clip([[row[x] - row[f"{x} ci_low"]], [row[f"{x} ci_high"] - row[x]]], 0, None)
        yerr = np.clip([[row[y] - row[f"{y} ci_low"]], [row[f"{y} ci_high"] - row[y]]], 0, None)
        note = "" if row.pareto or not row["reaches front"] else "  (interval reaches the front)"
        ax.errorbar(row[x], row[y], xerr=xerr, yerr=yerr, fmt="o", ms=8, capsize=3,
                    color=colours(i % 10), mfc=colours(i % 10) if row.pareto else "white", label=row.label + note)
    front = summary[summary.pareto].sort_values(x)
    ax.plot(front[x], front[y], color="black", lw=1, ls=":", label="Pareto front (of the means)")
    ax.set(xlabel=f"test {METRIC_LABELS.get(disparity, disparity)}  (lower is fairer)", ylabel="test accuracy",
           title="Remedies: test fairness against test accuracy\n"
                 f"mean and 95% Student-t interval over seeds, which vary initialisation and batch order, not the data ({seeds_note(summary.seeds)})")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig, summary
