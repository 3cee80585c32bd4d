"""F1 (notebook 01): train and test disparity per epoch, and each group's accuracy, one panel per method;
the mean over seeds with a 95% Student-t band. The population (generated data) is evaluated at the final
model only: its mean and interval over seeds are a diamond at the last epoch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from ..decomposition import with_floor_rows
from ..evidence import t_interval
from ..generalisation import POPULATION, variance_sources
from ..metrics import check_disparity
from .common import METRIC_LABELS, SPLIT_DASHES, floor_line, palette_for, seeds_note, set_style

POPULATION_MARK = "◆ population, final model"


def _per_method_panels(data: pd.DataFrame, hue: str | None, ylabel: str, title: str, col_wrap: int):
    curves = data[data.split != POPULATION]
    palette = palette_for(curves[hue]) if hue else None
    grid = sns.relplot(data=curves, x="epoch", y="value", col="method", col_wrap=col_wrap, hue=hue, style="split",
                       dashes=SPLIT_DASHES, kind="line", errorbar=t_interval, height=2.8, aspect=1.25,
                       palette=palette, hue_order=list(palette) if hue else None,
                       color=None if hue else "black", facet_kws={"sharey": True})
    grid.set_titles("{col_name}")
    grid.set_axis_labels("epoch", ylabel)
    population_markers(grid, data[data.split == POPULATION], hue, palette)
    n = data.groupby("method").seed.nunique() if "seed" in data else []
    grid.figure.suptitle(f"{title}\nmean over seeds ({seeds_note(n)} per method), "
                         f"band: 95% Student-t interval over seeds ({variance_sources(data)})", y=1.06)
    return grid.figure


def population_markers(grid, population: pd.DataFrame, hue: str | None, palette: dict | None) -> None:
    """In each method's panel: a diamond at the final epoch at the population's mean over seeds (per
    ``hue``), with its 95% t-interval as an error bar (none with one seed)."""
    for method, ax in grid.axes_dict.items():
        mine = population[population.method == method]
        if mine.empty:  # real data: no population
            continue
        for key, part in (mine.groupby(hue, sort=False) if hue else [(None, mine)]):
            mean, (low, high) = part.value.mean(), t_interval(part.value)
            error = [[mean - low], [high - mean]] if np.isfinite([low, high]).all() else None
            ax.errorbar([part.epoch.max()], [mean], yerr=error, fmt="D", ms=6, capsize=3,
                        color=palette[key] if hue else "black", label="population (final model)")


def _title_splits(data: pd.DataFrame) -> str:
    population = f", {POPULATION_MARK}" if (data.split == POPULATION).any() else ""
    return f"train (solid) and test (dashed){population}"


def fairness_overfits(history: pd.DataFrame, disparity: str = "equalized_odds_difference",
                      splits=("train", "test"), col_wrap: int = 4, floor: pd.DataFrame | None = None):
    """F1: per method, the disparity on train (solid) and test (dashed) at every evaluated epoch, and on the
    population at the final epoch (diamond, generated data), mean over seeds with a 95% t-interval.
    ``floor`` (``fairgap.decomposition.floor_or_none``; None on real data): the Bayes floor of ``disparity``
    as a dotted line in every panel, and as rows (split "bayes floor") of the data.
    Returns (figure, data)."""
    check_disparity(disparity)
    set_style()
    data = history[history.split.isin([*splits, POPULATION]) & (history.metric == disparity) & (history.group == "all")]
    fig = _per_method_panels(data, None, disparity.replace("_", " "),
                             f"{METRIC_LABELS.get(disparity, disparity).splitlines()[0]} per epoch: "
                             + _title_splits(data), col_wrap)
    for ax in fig.axes:
        if ax.get_title():  # the method panels, not an empty slot of the wrapped grid
            floor_line(ax, floor, disparity)
    return fig, with_floor_rows(data, floor)


def accuracy_per_group(history: pd.DataFrame, splits=("train", "test"), col_wrap: int = 4):
    """F1b: per method, each group's accuracy on train (solid) and test (dashed) at every evaluated epoch, and on the
    population at the final epoch (diamond), mean over seeds with a 95% t-interval. Returns (figure, data)."""
    set_style()
    data = history[history.split.isin([*splits, POPULATION]) & (history.metric == "accuracy") & (history.group != "all")]
    fig = _per_method_panels(data, "group", "accuracy", "Accuracy per group per epoch: " + _title_splits(data),
                             col_wrap)
    return fig, data
