"""Shared look of every figure: seaborn theme, line styles per split, axis labels per metric."""

import matplotlib.ticker as ticker
import numpy as np
import pandas as pd
import seaborn as sns

from ..decomposition import FLOOR_LABEL, floor_value

# The held-out line is dashed, whether it is the test split or the generator's population.
SPLIT_DASHES = {"train": "", "val": (1, 1), "test": (4, 2), "population": (4, 2)}
TEST_MARKERS = "hollow markers: the finite test split"
METRIC_LABELS = {
    "equalized_odds_difference": "equalized odds difference\n(worst case of TPR and FPR gaps)",
    "equal_opportunity_difference": "equal opportunity difference\n(TPR gap)",
    "demographic_parity_difference": "demographic parity difference\n(selection-rate gap)",
    "accuracy_difference": "accuracy difference",
    "accuracy": "accuracy",
}


# The Bayes floor of the generator (fairgap.data.bayes): thin, dark, dotted, behind the data.
FLOOR_STYLE = {"color": "0.15", "ls": (0, (1, 1.5)), "lw": 1.0, "zorder": 1.5}


def floor_line(ax, floor, disparity: str, vertical: bool = False, note: bool = True):
    """Draw the Bayes floor of ``disparity`` (``floor``: a ``fairgap.data.bayes.bayes_floor`` table, or None:
    real data, nothing drawn) on ``ax`` as a horizontal line (``vertical``: where the disparity is the x
    axis) labelled "Bayes floor (generator)"; ``note`` also writes the label beside the line, for panels
    without a legend. Returns the line, or None."""
    if floor is None:
        return None
    value = floor_value(floor, disparity)
    if not np.isfinite(value):
        return None
    return floor_at(ax, value, vertical, note)


def floor_at(ax, value: float, vertical: bool = False, note: bool = True):
    """``floor_line`` for a floor already known as a number ``value``: the line, and its label when ``note``."""
    line = (ax.axvline if vertical else ax.axhline)(value, label=FLOOR_LABEL, **FLOOR_STYLE)
    if note:
        if vertical:
            ax.annotate(FLOOR_LABEL, xy=(value, 0.98), xycoords=ax.get_xaxis_transform(), rotation=90,
                        ha="right", va="top", fontsize=7, color=FLOOR_STYLE["color"])
        else:
            ax.annotate(FLOOR_LABEL, xy=(0.01, value), xycoords=ax.get_yaxis_transform(), ha="left",
                        va="bottom", fontsize=7, color=FLOOR_STYLE["color"])
    return line


def set_style():
    """Readable in print: paper context, white grid, slightly larger fonts."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.15)


def compact(value: float) -> str:
    """Tick label: 0.1, 3, 250, 12k, 1.2M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


def log_axis(ax, values) -> None:
    """A log x axis with ticks exactly at the swept values, labelled plainly."""
    values = sorted({float(v) for v in values if v > 0})
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(ticker.FixedLocator(values))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: compact(v)))
    ax.xaxis.set_minor_locator(ticker.NullLocator())


def seeds_note(n_seeds) -> str:
    """The n a figure states: 'n = 5 seeds' ('n = 3-5 seeds' when cells differ; 'n = 1 seed: no interval')."""
    counts = sorted({int(n) for n in n_seeds})
    if not counts:
        return "n = 0 seeds"
    if counts == [1]:
        return "n = 1 seed: no interval"
    return f"n = {counts[0] if len(counts) == 1 else f'{counts[0]}-{counts[-1]}'} seeds"


def palette_for(levels) -> dict:
    """One colour per level, in order: what seaborn would draw, made explicit so that markers drawn
    beside its lines can match them."""
    levels = list(pd.unique(pd.Series(list(levels))))
    return dict(zip(levels, sns.color_palette(n_colors=max(len(levels), 1))))


def test_markers(ax, data: pd.DataFrame, x: str, hue: str | None = None, palette: dict | None = None,
                 color="C0", value: str = "value") -> pd.DataFrame:
    """Hollow markers at the mean over seeds of the test split's ``value`` at each ``x`` (per ``hue``): drawn
    beside a population line, they show where the finite test set alone would have put it. Returns the means."""
    test = data[data.split == "test"]
    means = test.groupby(([hue] if hue else []) + [x], sort=False)[value].mean().reset_index()
    label = TEST_MARKERS.split(": ")[1]
    for key, part in (means.groupby(hue, sort=False) if hue else [(None, means)]):
        ax.plot(part[x], part[value], ls="none", marker="o", mfc="none", ms=8, mew=1.3,
                mec=palette[key] if hue else color, label=label)
        label = "_nolegend_"
    return means
