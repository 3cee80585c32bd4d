"""Shared look of every figure: seaborn theme, line styles per split, axis labels per metric."""

import matplotlib.ticker as ticker
import seaborn as sns

SPLIT_DASHES = {"train": "", "val": (1, 1), "test": (4, 2)}
METRIC_LABELS = {
    "equalized_odds_difference": "equalized odds difference\n(worst case of TPR and FPR gaps)",
    "equal_opportunity_difference": "equal opportunity difference\n(TPR gap)",
    "demographic_parity_difference": "demographic parity difference\n(selection-rate gap)",
    "accuracy_difference": "accuracy difference",
    "accuracy": "accuracy",
}


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
