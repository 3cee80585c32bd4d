"""How a model's population disparity splits against the Bayes floor of the generator.

On generated data (``fairgap.data.bayes``) the best possible classifier of the observed label already has a
disparity, the **floor** F (``floor_disparities(bayes_floor_for(config))``): what the generator's knobs
impose. For a run with disparity D_train on its training set and D_pop on the population (the held-out
split: the generator's large fresh sample, or the test split where there is none):

    D_pop = F + (D_pop − F)

    learnable but not learned  = D_pop − F       what the model could have learned from the data and did not
    train–population gap       = D_pop − D_train the paper's subject: the constraint met on train, not beyond

Each disparity is fairlearn's: the largest minus the smallest group rate (for equalized odds, the larger
of the TPR and FPR differences), so D − F compares two such spreads, not the groups one by one; it can be
negative (a model whose errors happen to even out the groups' rates, or one that collapsed to a constant
predictor, whose disparity is 0). ``split_disparity`` gives, per setting, the mean of each part over the
runs (seeds) with its 95% Student-t interval (``fairgap.evidence.mean_and_interval``) and n; the floor
is exact (computed from the generator, no seeds) and the same for every setting on the same data.

Real data (CelebA, CheXpert, tables) have no known generator and so no floor: ``floor_or_none`` gives
None, and the floor columns are NaN.
"""

from __future__ import annotations

import pandas as pd

from .data.bayes import FLOOR_DATASETS, bayes_floor_for, floor_disparities
from .evidence import mean_and_interval
from .generalisation import held_out_name, held_out_split

FLOOR_LABEL = "Bayes floor (generator)"
FLOOR_SPLIT = "bayes floor"        # the split of a figure's data rows that hold the floor
FLOOR_RATES = ("tpr", "fpr", "accuracy", "selection_rate", "base_rate")
# The knobs a sweep varies within one method: a setting is the method (or label) and, where it varies, one of these.
AXES = ("weight", "width", "n_train")


def floor_or_none(run_config) -> pd.DataFrame | None:
    """The Bayes floor (``fairgap.data.bayes.bayes_floor_for``) of a run config's data where its dataset is
    generated (synthetic faces, synthetic X-rays), else None (real data: no known generator)."""
    if run_config is None or getattr(run_config, "dataset", None) not in FLOOR_DATASETS:
        return None
    return bayes_floor_for(run_config)


def profile_floor(profile: str, dataset: str | None = None, data: dict | None = None,
                  sweep: bool = False) -> pd.DataFrame | None:
    """``floor_or_none`` of the base config a notebook's study builds from its ``profile``, ``dataset`` and
    ``data`` parameters: ``fairgap.profiles.base_config`` (notebook 01), or ``sweep_base`` with ``sweep``
    (notebooks 02-04 and 07)."""
    from .profiles import base_config, dataset_overrides, sweep_base

    build = sweep_base if sweep else base_config
    return floor_or_none(build(profile, **dataset_overrides(dataset, data)))


def floor_value(floor: pd.DataFrame | None, disparity: str) -> float:
    """The floor of ``disparity`` (NaN without a floor)."""
    if floor is None:
        return float("nan")
    values = floor_disparities(floor)
    if disparity not in values:
        raise ValueError(f"The Bayes floor defines {', '.join(values)}, not {disparity!r}.")
    return values[disparity]


def floor_rows(floor: pd.DataFrame | None) -> pd.DataFrame:
    """The floor as tidy rows (split "bayes floor", group, metric, value) for a figure's data: each group's
    (and "all"'s) tpr, fpr, accuracy, selection_rate and base_rate, and at group "all" its disparities.
    Empty without a floor."""
    columns = ["split", "group", "metric", "value"]
    if floor is None:
        return pd.DataFrame(columns=columns)
    rows = [{"split": FLOOR_SPLIT, "group": group, "metric": rate, "value": float(floor.loc[group, rate])}
            for group in floor.index for rate in FLOOR_RATES]
    rows += [{"split": FLOOR_SPLIT, "group": "all", "metric": name, "value": value}
             for name, value in floor_disparities(floor).items()]
    return pd.DataFrame(rows, columns=columns)


def with_floor_rows(data: pd.DataFrame, floor: pd.DataFrame | None, **columns) -> pd.DataFrame:
    """``data`` with ``floor_rows(floor)`` appended (``columns``: constant values for them, e.g. a panel
    name); ``data`` itself, unchanged, without a floor. Integer and boolean columns of ``data`` stay so
    (nullable), so that its own rows read the same in a CSV."""
    if floor is None:
        return data
    rows = floor_rows(floor).assign(**columns)
    out = pd.concat([data, rows], ignore_index=True)
    for column, dtype in data.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            out[column] = out[column].astype("boolean")
        elif pd.api.types.is_integer_dtype(dtype):
            out[column] = out[column].astype("Int64")
    return out


# --- per-run disparities, and their split against the floor ---

def runs_of(table: pd.DataFrame, disparity: str | None = None) -> pd.DataFrame:
    """One row per run with its labels, ``train`` and ``held_out`` disparity (``held_out``: the population
    where the runs have one, else test), a ``disparity`` column naming it and ``held_out_split``.

    A results table of ``fairgap.sweep.run_sweep`` or notebook 01's history goes through
    ``fairgap.claims.sweep_rules.per_run``; ``disparity`` None judges each method on the disparity it
    targets (``targeted``, as notebook 02 does). A score table of notebook 06 (method, seed, split, group,
    metric, value; no epochs) is read directly and needs ``disparity``."""
    from .claims.sweep_rules import per_run, targeted

    held = held_out_split(table)
    if "run" in table.columns and "epoch" in table.columns:
        if disparity is not None:
            runs = per_run(table, disparity).assign(disparity=disparity)
        else:
            objective = "objective" if "objective" in table.columns else "method"
            runs = pd.concat([per_run(part, targeted(name)).assign(disparity=targeted(name))
                              for name, part in table.groupby(objective, sort=False)], ignore_index=True)
        return runs.assign(held_out_split=held)
    if disparity is None:
        raise ValueError("A score table (no run or epoch column) needs the disparity to split, e.g. "
                         "'equal_opportunity_difference'.")
    rows = table[(table.metric == disparity) & (table.group == "all")]
    runs = rows.pivot_table(index=["method", "seed"], columns="split", values="value").reset_index()
    runs.columns.name = None
    runs["held_out"] = runs[held]
    runs["gap"] = runs.held_out - runs.train
    return runs.assign(disparity=disparity, held_out_split=held)


def setting_keys(runs: pd.DataFrame) -> list[str]:
    """What a setting is in ``runs``: its ``label`` (else ``method``) and each axis of ``AXES`` that takes
    more than one value within a label (02's weight, 03's width, 04's n_train)."""
    key = "label" if "label" in runs.columns and runs["label"].notna().all() else "method"
    axes = [a for a in AXES if a in runs.columns and runs.groupby(key, sort=False)[a].nunique().max() > 1]
    return [key, *axes]


def split_disparity(runs: pd.DataFrame, floor: pd.DataFrame | None, disparity: str | None = None,
                    by: list[str] | None = None) -> pd.DataFrame:
    """Per setting (``by``; None: ``setting_keys``) and disparity, over its runs (seeds): the population
    disparity D_pop, the Bayes floor F, D_pop − F (learnable but not learned), the train disparity
    D_train and D_pop − D_train (the train–population gap).

    ``runs``: one row per run with ``train`` and ``held_out`` disparity (``runs_of``, or
    ``fairgap.claims.sweep_rules.per_run``). ``floor``: a ``bayes_floor`` table, or None (real data:
    F and D_pop − F are NaN). ``disparity``: the disparity of every row; None: each row's ``disparity``
    column (notebook 02 judges each method on its own).

    Each part but F is a mean over the runs with its two-sided 95% Student-t interval (``<part> ci_low``,
    ``<part> ci_high``; NaN with one run) and n, the runs with a held-out value. F has no interval: it is
    computed exactly from the generator. The columns are named by the held-out split ("population", or
    "test" where the runs have no population): the held-out disparity, "Bayes floor",
    "<held> − floor", "train", "<held> − train".
    """
    if disparity is None and "disparity" not in runs.columns:
        raise ValueError("Name the disparity of the runs, or give them a 'disparity' column (runs_of).")
    runs = runs.assign(disparity=disparity) if disparity is not None else runs.copy()
    held = held_out_name(runs.held_out_split.iloc[0]) if "held_out_split" in runs.columns and len(runs) \
        else "population"
    by = setting_keys(runs) if by is None else list(by)
    keys = [*by, "disparity"] if "disparity" not in by else by
    parts = {held: "held_out", f"{held} − floor": "learnable", "train": "train", f"{held} − train": "gap"}
    floors = {name: floor_value(floor, name) for name in runs.disparity.unique()}
    runs["learnable"] = runs.held_out - runs.disparity.map(floors).astype(float)
    runs["gap"] = runs.held_out - runs.train
    rows = []
    for values, part in runs.groupby(keys, sort=False, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        row = dict(zip(keys, values))
        for name, column in parts.items():
            mean, low, high, n = mean_and_interval(part[column].to_numpy(dtype=float))
            row.update({name: mean, f"{name} ci_low": low, f"{name} ci_high": high})
            if column == "held_out":
                row["n"] = n
                row["Bayes floor"] = floors[row["disparity"]]
        rows.append(row)
    order = [*keys]
    for name in parts:
        order += [name, f"{name} ci_low", f"{name} ci_high"]
        if name == held:
            order.append("Bayes floor")
    frame = pd.DataFrame(rows, columns=[*order, "n"])
    frame["n"] = frame["n"].astype(int)
    return frame


__all__ = ["FLOOR_LABEL", "FLOOR_SPLIT", "floor_or_none", "profile_floor", "floor_value", "floor_rows",
           "with_floor_rows", "runs_of", "setting_keys", "split_disparity"]
