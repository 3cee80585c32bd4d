"""Small results tables in the format of ``fairgap.sweep.run_sweep``, with effects chosen by the test."""

from __future__ import annotations

import itertools

import pandas as pd

GROUPS = ("lighter", "darker")
_ids = itertools.count()


def run_rows(labels: dict, train: dict, test: dict, epoch: int = 30, disparity: str = "equalized_odds_difference",
             run: str | None = None, val: dict | None = None):
    """One epoch's rows of one run (a new run id unless ``run``). ``train`` / ``val`` / ``test``: {"disparity",
    "lighter", "darker", "collapsed"} (the two groups' accuracies; overall accuracy is their mean); ``val``
    None: the same as ``test``."""
    run = run or f"run{next(_ids)}"
    rows = []
    for split, values in (("train", train), ("val", test if val is None else val), ("test", test)):
        cells = {("all", disparity): values["disparity"], ("all", "collapsed"): float(values.get("collapsed", 0)),
                 ("all", "accuracy"): (values["lighter"] + values["darker"]) / 2}
        cells.update({(g, "accuracy"): values[g] for g in GROUPS})
        rows += [{"epoch": epoch, "split": split, "group": g, "metric": m, "value": v} for (g, m), v in cells.items()]
    return [{**row, **labels, "run": run} for row in rows]


def table(rows_per_run) -> pd.DataFrame:
    return pd.DataFrame([row for rows in rows_per_run for row in rows])
