"""What the claims of the sweeps (notebooks 02, 03 and 04; notebook 01 too) share: per-run quantities, the
rules that choose settings, and the wording of verdicts. Each notebook's claims and prose are its study's
(``fairgap.studies.f2_strength``, ``f3_capacity``, ``f4_size``).

Each ``*_claims`` function there takes a sweep's results table (``fairgap.sweep.run_sweep``) and returns
a claims table (``fairgap.evidence.claims_table``); each ``*_prose`` function turns the table and
its claims into the Markdown of the notebook's "what you see", so that every number and every
verdict in that text comes from the results. Settings are chosen from the data by rules stated
here, never by looking at the quantity a claim tests:

* a setting **fits its training set** (interpolates) when its mean train accuracy over seeds is at
  least ``INTERPOLATING``; it is **under-parameterised** when it is below ``UNDERFIT``;
* notebook 02's representative and leveling-down weights: see ``fairgap.studies.f2_strength``.

Generalisation is measured on the held-out split (``fairgap.generalisation.held_out_split``): the
generator's population where the data are generated, the test split where they are real; claim texts
name it ("population − train", "test − train"). Each method is judged on the disparity its objective
targets (``targets`` of its class in ``fairgap.fairness``) unless one disparity is given for all.

Paired claims take the per-seed differences and their 95% Student-t interval (``fairgap.evidence``);
with one seed nothing is shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..evidence import PRIMARY, SHOWN, claim, fmt, fmt_p, seed_difference
from ..generalisation import finite_test_prose, held_out_name, held_out_split, finite_test_error
from ..sweep import final_epoch, final_metric, train_test_gap

# The disparity a method whose objective names none (ERM, or a label outside fairgap.fairness) is judged on.
DEFAULT_DISPARITY = "equalized_odds_difference"
INTERPOLATING = 0.99
UNDERFIT = 0.95


RULES = {
    "fit": (f"A setting *fits its training set* (interpolates) when its mean train accuracy over seeds is at least "
            f"{INTERPOLATING}, and is *under-parameterised* below {UNDERFIT}."),
    "paired": "Claims over settings pair the runs by seed and take a 95% Student-t interval of the per-seed differences.",
}


def rules_text(rule: str) -> str:
    """The rules that choose the settings a notebook's claims compare, in words (for its Markdown): fitting,
    the notebook's own ``rule`` (the ``RULE`` of fairgap.studies.f2_strength, f3_capacity, f4_size), pairing."""
    return " ".join([RULES["fit"], rule, RULES["paired"]])


# --- per-run quantities ---

def per_run(table: pd.DataFrame, disparity: str) -> pd.DataFrame:
    """One row per run: its labels, seed, ``disparity`` on train, on test and on the held-out split
    (``held_out``: the population where the runs have one, else test), the gap held-out − train, train,
    test and held-out accuracy, and whether the final model is constant on the held-out split
    (``collapsed``, 0 or 1)."""
    split = held_out_split(table)
    runs = train_test_gap(table, disparity)
    values = final_metric(table, disparity).pivot_table(index="run", columns="split", values="value")
    runs["held_out"] = runs.run.map(values[split])
    runs["gap"] = runs.held_out - runs.train
    accuracy = final_metric(table, "accuracy").pivot_table(index="run", columns="split", values="value")
    accuracy = accuracy[["train", "test"]].add_suffix("_accuracy").assign(held_out_accuracy=accuracy[split])
    collapsed = final_metric(table, "collapsed")
    collapsed = collapsed[collapsed.split == split].set_index("run").value.rename("collapsed")
    return runs.join(accuracy, on="run").join(collapsed, on="run")


def held_out_of(table: pd.DataFrame) -> str:
    """How the claims of ``table`` name their held-out split: "population" or "test"."""
    return held_out_name(held_out_split(table))


def targeted(method: str, disparity: str | None = None) -> str:
    """The disparity ``method`` (an objective's name) is judged on: ``disparity`` when given, else the one
    its objective targets, else ``DEFAULT_DISPARITY``."""
    from ..fairness.base import REGISTRY

    if disparity is not None:
        return disparity
    objective = REGISTRY.get(method)
    return getattr(objective, "targets", None) or DEFAULT_DISPARITY


def finite_test_paragraph(table: pd.DataFrame, disparity: str) -> str:
    """How far the finite test split moves the final ``disparity`` from the population's, over the runs of
    ``table`` (``fairgap.generalisation.finite_test_prose``; says so where there is no population)."""
    return finite_test_prose(finite_test_error(final_epoch(table), disparity), disparity.replace("_", " "))


def setting_means(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean over seeds of every per-run quantity, per setting, with the number of seeds ``n``."""
    columns = ["train", "test", "held_out", "gap", "train_accuracy", "test_accuracy", "held_out_accuracy", "collapsed",
               "parameters"]
    columns = [c for c in columns if c in runs.columns and c not in by]
    means = runs.groupby(by)[columns].mean()
    return means.assign(n=runs.groupby(by).seed.nunique())


def per_seed_mean(runs: pd.DataFrame, column: str, values, value: str = "gap") -> pd.Series:
    """Per seed: the mean of ``value`` over the rows whose ``column`` is in ``values``."""
    return runs[runs[column].isin(list(values))].groupby("seed")[value].mean()


def numbers(row) -> str:
    """A claim's estimate, 95% interval, n and verdict: '0.31 [0.22, 0.40]; n = 5; shown'; a primary claim
    also gives its Holm-adjusted p-value."""
    adjusted = f"; primary, Holm-adjusted p {fmt_p(row['p_adjusted'])}" if row.get("kind") == PRIMARY else ""
    return f"{fmt(row['estimate'], row['lower'], row['upper'])}; n = {int(row['n'])}{adjusted}; {row['verdict']}"


def said(row, shown: str, not_shown: str) -> str:
    """The sentence a claim's verdict allows, followed by its numbers in parentheses."""
    return f"{shown if row['verdict'] == SHOWN else not_shown} ({numbers(row)})"


def find(claims: pd.DataFrame, prefix: str) -> pd.Series:
    """The claim whose text starts with ``prefix``."""
    rows = claims[claims.claim.str.startswith(prefix)]
    if len(rows) != 1:
        raise KeyError(f"Expected one claim starting with {prefix!r}, found {len(rows)}.")
    return rows.iloc[0]


def seeds_text(n) -> str:
    return f"n = {int(n)} seed{'' if int(n) == 1 else 's'}"


def values_list(values) -> str:
    return ", ".join(f"{v:g}" for v in values)


# --- the operating-point rule's inputs (fairgap.claims.operating_point) ---

def rule_runs(table: pd.DataFrame, disparity: str) -> pd.DataFrame:
    """One row per run: its labels, seed, weight (0 for ERM), ``disparity`` on train (``train``) and on
    validation (``val``), train accuracy and whether it collapsed to a constant predictor on validation
    data (``collapsed``): what the operating-point rule reads. Nothing from test or the population."""
    final = final_epoch(table)
    rows = final[final.group == "all"]
    wide = rows[rows.metric.isin([disparity, "accuracy", "collapsed"])].pivot_table(
        index="run", columns=["metric", "split"], values="value")
    labels = final.drop_duplicates("run").set_index("run")
    keep = [c for c in ("label", "method", "weight", "seed", "width", "n_train") if c in labels.columns]
    out = labels[keep].copy()
    out["train"] = wide[(disparity, "train")]
    out["val"] = wide.get((disparity, "val"))
    out["train_accuracy"] = wide[("accuracy", "train")]
    out["collapsed"] = wide.get(("collapsed", "val"), wide.get(("collapsed", "train")))
    if "weight" in out.columns:
        out["weight"] = out.weight.fillna(0.0)
    return out.reset_index()


def operating_choice(table: pd.DataFrame, method: str, disparity: str, column: str = "method"):
    """The operating-point rule applied to the runs of ``method`` (rows where ``column`` equals it) in
    ``table``, against the ERM runs of the same table (``fairgap.claims.operating_point.choose``)."""
    from .operating_point import choose

    runs = rule_runs(table, disparity)
    erm = runs[runs[column].isin(["erm", "ERM"])]
    return choose(runs[runs[column] == method], float(erm.train_accuracy.mean()))


# --- the constraint's benefit over ERM along an axis (notebooks 03 and 04: the paper's interaction) ---

def benefit(runs: pd.DataFrame, label: str, axis: str, value) -> pd.Series:
    """Per seed: ERM's held-out disparity minus ``label``'s, both at ``axis`` == ``value`` (what the
    constraint buys on new data there; ``runs`` from ``per_run``, ERM being the runs whose method is "erm").
    A numeric ``value`` (a width, a size) matches up to rounding; any other (a setting's name) exactly."""
    numeric = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    at = runs[np.isclose(runs[axis].astype(float), float(value)) if numeric else runs[axis] == value]
    erm = at[at.method == "erm"].groupby("seed").held_out.mean()
    return seed_difference(erm, at[at.label == label].groupby("seed").held_out.mean())


def benefit_change_claim(runs: pd.DataFrame, label: str, axis: str, first, second, held: str, ends: tuple[str, str],
                         unit: str, disparity: str):
    """The claim that ``label``'s held-out benefit over ERM is larger at ``axis`` = ``first`` than at
    ``second``, paired by seed: the paper's question of whether what a constraint buys changes with capacity or
    data. ``ends`` names the two ends ("smallest width", "largest"); ``unit`` how the values read."""
    change = seed_difference(benefit(runs, label, axis, first), benefit(runs, label, axis, second))
    return claim(f"{label}: {held} benefit over ERM at the {ends[0]} − at the {ends[1]} > 0 ({unit.format(first)} vs "
                 f"{unit.format(second)})",
                 f"(ERM's − {label}'s {held} {disparity.replace('_', ' ')}) at the {ends[0]} minus at the {ends[1]}, "
                 "paired by seed", change)


def constrained_labels(runs: pd.DataFrame) -> list[str]:
    """The labels of the runs that are not ERM (method "erm"), in order of appearance; none when the runs
    have no ERM to compare with."""
    if "method" not in runs or not (runs.method == "erm").any():
        return []
    return list(dict.fromkeys(runs.label[runs.method != "erm"]))


def benefit_sentence(runs: pd.DataFrame, claims: pd.DataFrame, label: str, axis: str, first_end: str, held: str) -> str:
    """For a constrained ``label``: its held-out benefit over ERM at each value of ``axis`` (means over seeds),
    then the verdict of its benefit-change claim (``benefit_change_claim``). Empty for ERM."""
    if label not in constrained_labels(runs):
        return ""
    per_value = "; ".join(f"{value:g}: {benefit(runs, label, axis, value).mean():.2f}"
                          for value in sorted(runs[axis].unique()))
    row = find(claims, f"{label}: {held} benefit over ERM at the {first_end}")
    axis_name = axis.replace("n_train", "training-set size")
    return (f" What it buys on the {held} over ERM (ERM's disparity minus its own, same seed), per {axis_name}: "
            f"{per_value}. " + said(row, f"The benefit is larger at the {first_end}",
                                    f"A larger benefit at the {first_end} is not shown") + ".")
