"""F7 (notebook 07): held-out disparity against held-out accuracy for each remedy, Pareto front marked."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ..decomposition import FLOOR_LABEL, floor_value
from ..studies.f7_remedies import NOT_APPLICABLE, held_out_per_seed, held_out_summary
from ..generalisation import POPULATION, TEST, held_out_name, held_out_split, variance_sources
from ..metrics import check_disparity
from ..remedies import CONTROL
from .common import METRIC_LABELS, floor_line, seeds_note, set_style


def _interval(row: pd.Series, column: str) -> np.ndarray:
    """Errorbar lengths below and above the mean of ``column`` (its 95% interval over seeds)."""
    return np.clip([[row[column] - row[f"{column} ci_low"]], [row[f"{column} ci_high"] - row[column]]], 0, None)


def floor_row(summary: pd.DataFrame, floor: pd.DataFrame | None, held: str, disparity: str) -> pd.DataFrame:
    """``summary`` with the Bayes floor as a last row (label "Bayes floor (generator)"): its ``held``
    disparity, accuracy overall and per group where ``summary`` has the column; not on the Pareto front
    (it is no remedy); no seeds. ``summary`` itself without a floor."""
    if floor is None:
        return summary
    row = {"label": FLOOR_LABEL, f"{held} {disparity}": floor_value(floor, disparity),
           f"{held} accuracy": float(floor.loc["all", "accuracy"]), "pareto": False, "reaches front": False}
    row.update({f"{held} accuracy {g}": float(floor.loc[g, "accuracy"]) for g in floor.index
                if f"{held} accuracy {g}" in summary.columns})
    out = pd.concat([summary, pd.DataFrame([row])], ignore_index=True)
    for column, dtype in summary.dtypes.items():
        if pd.api.types.is_integer_dtype(dtype):
            out[column] = out[column].astype("Int64")
        elif pd.api.types.is_bool_dtype(dtype):
            out[column] = out[column].astype(bool)
    return out


def with_seeds(summary: pd.DataFrame, table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """F7's CSV: ``summary`` (``remedies``' second value: one row per remedy, the floor's last, ``seed`` empty), then
    the per-seed rows its means and intervals were drawn from (``held_out_per_seed``: one per label and seed, in the
    same columns; the summary's own columns empty), so that the intervals and the claims can be recomputed from it."""
    seeds = held_out_per_seed(table, disparity)
    seeds = seeds[["label", "seed"] + [c for c in summary.columns if c in seeds.columns and c != "label"]]
    out = pd.concat([summary.assign(seed=pd.NA), seeds], ignore_index=True)
    out["seed"] = out["seed"].astype("Int64")
    for column, dtype in summary.dtypes.items():  # integers and booleans stay so beside the empty cells
        if pd.api.types.is_integer_dtype(dtype):
            out[column] = out[column].astype("Int64")
        elif pd.api.types.is_bool_dtype(dtype):
            out[column] = out[column].astype("boolean")
    return out[["label", "seed"] + [c for c in summary.columns if c != "label"]]


def remedies(table: pd.DataFrame, disparity: str = "equalized_odds_difference", floor: pd.DataFrame | None = None,
             not_applicable: dict[str, str] | None = None):
    """Means over seeds of the held-out disparity and accuracy (``held_out_split``: the population for
    generated data, the test split for real data) with 95% Student-t intervals over seeds in both
    directions; the Pareto front of the means (lower disparity, higher accuracy) is joined by a line and
    its points are filled; a remedy whose intervals reach the front is marked in the legend; the control
    (constrained, trained on train + validation) is a square. Where the held-out split is the population,
    each remedy's mean on the finite test split is a hollow diamond joined to its population mean.
    ``floor`` (``fairgap.decomposition.floor_or_none``; None on real data): the Bayes floor of ``disparity``,
    a vertical dotted line (the disparity is the x axis) and a last row of the summary returned.
    ``not_applicable`` (``fairgap.studies.f7_remedies.not_applicable``: label -> why, on a table): each named in the
    legend as not applicable and a row of the summary with no values and its reason (column "applicable")."""
    check_disparity(disparity)
    set_style()
    summary = held_out_summary(table, disparity).reset_index()
    held = held_out_name(held_out_split(table))
    x, y = f"{held} {disparity}", f"{held} accuracy"
    fig, ax = plt.subplots(figsize=(11, 6.5))
    # tab20's saturated colours first, then its light ones: 11+ labels stay distinguishable.
    colours = plt.get_cmap("tab20")
    for i, row in summary.iterrows():
        colour = colours((2 * i) % 20 + (2 * i // 20) % 2)
        note = "" if row.pareto or not row["reaches front"] else "  (interval reaches the front)"
        ax.errorbar(row[x], row[y], xerr=_interval(row, x), yerr=_interval(row, y), fmt="s" if row.label == CONTROL
                    else "o", ms=8, capsize=3, color=colour, mfc=colour if row.pareto else "white",
                    label=row.label + note)
        if held == POPULATION:
            tx, ty = row[f"{TEST} {disparity}"], row[f"{TEST} accuracy"]
            ax.plot([row[x], tx], [row[y], ty], color=colour, lw=0.8, alpha=0.6)
            ax.plot(tx, ty, "D", ms=5, color=colour, mfc="none")
    front = summary[summary.pareto].sort_values(x)
    front_line, = ax.plot(front[x], front[y], color="black", lw=1, ls=":", label="Pareto front (of the means)")
    floor_drawn = floor_line(ax, floor, disparity, vertical=True)  # also written along it: the front is dotted too
    handles = [h for h in ax.get_legend_handles_labels()[0] if h not in (front_line, floor_drawn)] + [front_line]
    handles += [floor_drawn] if floor_drawn is not None else []
    if held == POPULATION:
        handles.append(Line2D([], [], marker="D", ms=5, color="grey", mfc="none", ls="none",
                              label="mean on the finite test split (same runs)"))
    ax.set(xlabel=f"{held} {METRIC_LABELS.get(disparity, disparity)}  (lower is fairer)", ylabel=f"{held} accuracy",
           title=f"Remedies: {held} fairness against {held} accuracy\n"
                 f"mean and 95% Student-t interval over seeds ({seeds_note(summary.seeds)})\n"
                 f"{variance_sources(table)}")
    for label in (not_applicable or {}):
        handles.append(Line2D([], [], ls="none", label=f"{label}: {NOT_APPLICABLE} (not run)"))
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig, with_not_applicable(floor_row(summary, floor, held, disparity), not_applicable)


def with_not_applicable(summary: pd.DataFrame, not_applicable: dict[str, str] | None) -> pd.DataFrame:
    """``summary`` with a row per remedy of ``not_applicable`` (label -> why): no values, column "applicable" its
    reason (the others' "yes"); ``summary`` itself where there is none."""
    if not not_applicable:
        return summary
    rows = pd.DataFrame({"label": list(not_applicable),
                         "applicable": [f"no: {NOT_APPLICABLE} ({why})" for why in not_applicable.values()]})
    return pd.concat([summary.assign(applicable="yes"), rows], ignore_index=True)
