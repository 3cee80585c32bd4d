"""F1 (notebook 01): train and test disparity per epoch, and each group's accuracy, one panel per method;
the mean over seeds with a 95% Student-t band."""

from __future__ import annotations

import pandas as pd
import seaborn as sns

from ..evidence import t_interval
from ..metrics import check_disparity
from .common import METRIC_LABELS, SPLIT_DASHES, seeds_note, set_style


def _per_method_panels(data: pd.DataFrame, hue: str | None, ylabel: str, title: str, col_wrap: int):
    grid = sns.relplot(data=data, x="epoch", y="value", col="method", col_wrap=col_wrap, hue=hue, style="split",
                       dashes=SPLIT_DASHES, kind="line", errorbar=t_interval, height=2.8, aspect=1.25,
                       color=None if hue else "black", facet_kws={"sharey": True})
    grid.set_titles("{col_name}")
    grid.set_axis_labels("epoch", ylabel)
    n = data.groupby("method").seed.nunique() if "seed" in data else []
    grid.figure.suptitle(f"{title}\nmean over seeds ({seeds_note(n)} per method), "
                         "band: 95% Student-t interval over seeds (initialisation and batch order; the data are fixed)", y=1.06)
    return grid.figure


def fairness_overfits(history: pd.DataFrame, disparity: str = "equalized_odds_difference",
                      splits=("train", "test"), col_wrap: int = 4):
    """F1: per method, the disparity on train (solid) and test (dashed) at every epoch, mean over
    seeds with a 95% t-interval band. Returns (figure, data)."""
    check_disparity(disparity)
    set_style()
    data = history[history.split.isin(splits) & (history.metric == disparity) & (history.group == "all")]
    fig = _per_method_panels(data, None, disparity.replace("_", " "),
                             f"{METRIC_LABELS.get(disparity, disparity).splitlines()[0]} per epoch: "
                             "train (solid) and test (dashed)", col_wrap)
    return fig, data


def accuracy_per_group(history: pd.DataFrame, splits=("train", "test"), col_wrap: int = 4):
    """F1b: per method, each group's accuracy on train (solid) and test (dashed) at every epoch, mean
    over seeds with a 95% t-interval band. Returns (figure, data)."""
    set_style()
    data = history[history.split.isin(splits) & (history.metric == "accuracy") & (history.group != "all")]
    fig = _per_method_panels(data, "group", "accuracy", "Accuracy per group per epoch: train (solid) and test (dashed)",
                             col_wrap)
    return fig, data
