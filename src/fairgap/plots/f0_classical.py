"""F0 (notebook 00): train vs test disparity for classical models and networks, and the gap against training accuracy."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..evidence import figure_text
from .common import set_style

FAMILY_COLORS = {"classical": "#1f77b4", "network": "#d62728"}
CONSTRAINT_MARKERS = {"none": "o", "equalized odds": "s", "demographic parity": "^", "equal opportunity": "D"}


def _n_text(part: pd.DataFrame) -> str:
    """'n = 10 splits per model' or, when models differ, 'n = 3-10 splits per model'."""
    counts = part.groupby("model").seed.nunique()
    low, high = int(counts.min()), int(counts.max())
    return f"n = {low} split{'s' if high > 1 else ''} per model" if low == high else f"n = {low}–{high} splits per model"


def classical_vs_deep(per_run: pd.DataFrame, summary: pd.DataFrame, source_titles: dict | None = None):
    """F0. Top row, per data source: each model's train disparity (x) against its test disparity (y), one
    point per model and split, the diagonal drawn (on it, the training value predicts the test value).
    Bottom row: each model's mean gap (test − train) with its 95% t-interval over splits, against
    its mean training accuracy. Colour: classical or network; marker: the constraint.

    ``per_run`` is fairgap.classical_fits.targeted_disparity(...), ``summary`` fairgap.classical_fits.gap_table(...)
    (via fairgap.studies.f0_classical).
    Each point uses the disparity the model's constraint targets (demographic parity difference for
    DP-constrained models, else equalized odds difference). Returns (figure, per_run).
    """
    set_style()
    sources = list(dict.fromkeys(per_run.source))
    titles = source_titles or {}
    fig, axes = plt.subplots(2, len(sources), figsize=(6.2 * len(sources), 11), squeeze=False)
    markers = {c: CONSTRAINT_MARKERS.get(c, "X") for c in per_run.constraint.unique()}
    for column, source in enumerate(sources):
        mine = per_run[per_run.source == source]
        top, bottom = axes[0, column], axes[1, column]
        sns.scatterplot(data=mine, x="train", y="test", hue="family", style="constraint", markers=markers,
                        palette=FAMILY_COLORS, s=45, alpha=0.7, ax=top, legend=column == 0)
        high = float(np.nanmax(mine[["train", "test"]].to_numpy())) * 1.08 + 0.01
        top.plot([0, high], [0, high], color="black", lw=0.9, ls="--", label="test = train")
        top.set(xlim=(-0.01, high), ylim=(-0.01, high), xlabel="train disparity", ylabel="test disparity",
                title=f"{figure_text(titles.get(source, source))}: train vs test disparity\n({_n_text(mine)})")
        top.set_aspect("equal")

        gaps = summary[summary.source == source]
        for _, row in gaps.iterrows():
            bottom.errorbar(row.train_accuracy, row.gap, yerr=[[row.gap - row.gap_low], [row.gap_high - row.gap]],
                            fmt=markers[row.constraint], color=FAMILY_COLORS.get(row.family, "grey"), ms=7, capsize=3)
            bottom.annotate(row.model, (row.train_accuracy, row.gap), textcoords="offset points", xytext=(5, 3),
                            fontsize=7)
        bottom.axhline(0, color="black", lw=0.8)
        bottom.set(xlabel="training accuracy", ylabel="disparity gap (test − train)",
                   title=f"{figure_text(titles.get(source, source))}: train–test gap against training accuracy\n"
                         f"(mean and 95% t-interval over random splits, which vary the data and the initialisation; {_n_text(per_run[per_run.source == source])})")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if axes[0, 0].get_legend() is not None:
        axes[0, 0].get_legend().remove()
    fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 8), bbox_to_anchor=(0.5, 0.98), fontsize=9)
    fig.suptitle("The same fairness constraint on classical models and on networks: fairness on the training set "
                 "vs on the test set", y=1.0)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig, per_run
