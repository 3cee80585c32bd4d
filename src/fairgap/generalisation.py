"""Where generalisation is measured, and what a band over seeds covers.

Generated data (faces, X-rays) come from a known generator, so a final model can be scored on a
large fresh sample of it, the *population* split (``RunConfig.population``), instead of estimating
its behaviour from a 2,000-example test set. Claims about generalisation read ``held_out_split``:
"population" where the runs have it, "test" where the data are real. ``finite_test_error`` says how
far the finite test set alone moves a run's number from its population value.

A seed draws the run's generated data as well as its initialisation and batch order (``data_seed``
None, the default), so a band over seeds covers data sampling; ``variance_sources`` words that for a
figure or a table, from the ``data_seed`` column the run tables carry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .evidence import mean_and_interval
from .train import POPULATION  # noqa: F401 - the split train writes; plots and studies import it from here

TEST = "test"


def held_out_split(table: pd.DataFrame) -> str:
    """"population" when the runs in ``table`` were scored on the generator's population, else "test"."""
    return POPULATION if (table.split == POPULATION).any() else TEST


def held_out_name(split: str) -> str:
    """How claims and captions name the held-out measurement."""
    return "population" if split == POPULATION else "test"


def variance_sources(table: pd.DataFrame) -> str:
    """What a band over the seeds of ``table`` covers, in words (from its ``data_seed`` column)."""
    data_seeds = table["data_seed"] if "data_seed" in table else pd.Series([], dtype=float)
    if data_seeds.notna().any() and (data_seeds.dropna() == table.loc[data_seeds.notna(), "seed"]).all():
        if not (table.split == POPULATION).any() and (table.split == TEST).any():  # a table's random split per seed
            return "seeds vary the random split (training, validation and test rows), the initialisation and the batch order"
        return "seeds vary the generated data (train, val and test sets), the initialisation and the batch order"
    if data_seeds.notna().any():
        return "seeds vary the initialisation and the batch order; the generated data are fixed (data_seed)"
    return "seeds vary the initialisation and the batch order; the data are the dataset's fixed splits"


def finite_test_error(final: pd.DataFrame, metric: str, group: str = "all",
                       by: tuple[str, ...] = ("run",)) -> pd.DataFrame:
    """Per run (``by``): the final model's ``metric`` on the test split, on the population, and the
    difference test − population (the finite test set's error for that run). Empty without a population."""
    rows = final[(final.metric == metric) & (final.group == group) & final.split.isin([TEST, POPULATION])]
    if not (rows.split == POPULATION).any():
        return pd.DataFrame(columns=[*by, TEST, POPULATION, "difference"])
    wide = rows.pivot_table(index=list(by), columns="split", values="value").dropna()
    return wide.assign(difference=wide[TEST] - wide[POPULATION]).reset_index()


def population_precision(final: pd.DataFrame) -> pd.DataFrame:
    """Per group of the population: the most examples any run scored, and the largest 95% half-width
    that sampling gives its TPR, FPR and accuracy in any run (each run's population is scored until all
    three are within ±0.01, ``fairgap.train.record_population``)."""
    part = final[final.split == POPULATION]
    rows = []
    for group, rates in part.groupby("group"):
        if group == "all":
            continue
        get = lambda metric: rates[rates.metric == metric].value  # noqa: E731
        rows.append({"group": group, "n": int(get("n").max()), "tpr ±": float(get("tpr_halfwidth").max()),
                     "fpr ±": float(get("fpr_halfwidth").max()), "accuracy ±": float(get("accuracy_halfwidth").max())})
    return pd.DataFrame(rows)


def finite_test_prose(differences: pd.DataFrame, metric_name: str) -> str:
    """One paragraph: how far the test split's value of a metric sits from the population's."""
    if differences.empty:
        return (f"These runs have no population split (real data): the {metric_name} is measured on the test "
                "split only, and its finite-sample error is part of every number.")
    diff = differences["difference"].to_numpy()
    mean, low, high, n = mean_and_interval(diff)
    return (f"**Finite test set against the population.** Over {n} runs, the test split's {metric_name} minus the "
            f"population's is {mean:+.3f} on average (95% interval {low:+.3f} to {high:+.3f}); a single run's test "
            f"value sits {np.mean(np.abs(diff)):.3f} from its population value on average "
            f"(at most {np.max(np.abs(diff)):.3f}). Claims about generalisation use the population value.")
