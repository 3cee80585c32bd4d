"""Notebook 04: training-set size. The train-test fairness gap against the number of training examples:
``SCALE`` (the sizes; resolved with the sweeps' seeds by ``scale``), ``training_set_size`` (the runs), and the
claims and prose.
"""

from __future__ import annotations

import pandas as pd

from ..claims.sweep_rules import (INTERPOLATING, benefit_change_claim, benefit_sentence, constrained_labels, find,
                                  finite_test_paragraph, held_out_of, per_run, per_seed_mean, rules_text, said,
                                  seeds_text, setting_means)
from ..committed import COMMITTED, check_results, keep, load
from ..evidence import claim, claims_table, seed_difference
from ..paths import with_seed_offset
from ..profiles import capacity_or_size, sweep_scale

# Sizes stop at 2,000 training faces (the default profile's ``size_pool``): a 4,000-face run costs as much as
# four others.
NOTEBOOK = "04_training_set_size"
SCALE = {"smoke": dict(sizes=[100, 200]), "default": dict(sizes=[250, 500, 1000, 2000]),
         "paper": dict(sizes=[10000, 30000, 100000, 162770])}
RULE = ("The smallest training set of the grid is compared with the largest, both fixed before the runs: the gap, "
        "the held-out disparity, and the constraint's benefit on new data (ERM's held-out disparity minus the "
        "constrained network's, same seed and size); the constraint's weight is notebook 02's operating point.")


def scale(profile: str) -> dict:
    """The sweeps' seeds and evaluation (``fairgap.profiles.sweep_scale``) with the profile's sizes."""
    return {**sweep_scale(profile), **with_seed_offset(SCALE[profile])}


def table_sizes(sizes: list[int], rows: int) -> list[int]:
    """The profile's size grid fitted to a table's ``rows`` training rows (``fairgap.table_runs.table_run``): the same
    fractions of its largest size, the largest being every training row."""
    return sorted({max(2, round(rows * s / max(sizes))) for s in sizes})


def rules() -> str:
    """The rules that choose the settings notebook 04's claims compare, in words."""
    return rules_text(RULE)


def training_set_size(profile: str, methods: dict[str, dict], sizes: list[int] | None = None,
                      seeds: list[int] | None = None, results: str = "train", notebook: str = NOTEBOOK,
                      **options) -> pd.DataFrame:
    """F4's data: each labelled method spec at each training-set size (None: the profile's), over ``seeds``
    (None: the profile's); ``options`` as ``fairgap.profiles.capacity_or_size`` takes them.
    ``notebook``: where the table is kept (``fairgap.paths.notebook_key``: the notebook's own name, or with
    the table's name on a table) and whose primary settings get ``primary_seeds``."""
    if check_results(results) == COMMITTED:  # the kept table (fairgap.committed), no training
        return load(notebook, profile=profile)
    settings = scale(profile)
    if sizes is None and options.get("dataset") == "table":
        sizes = table_sizes(settings["sizes"], options["data"]["train_size"])
    table = capacity_or_size(profile, "n_train", settings["sizes"] if sizes is None else sizes, methods,
                             settings["seeds"] if seeds is None else seeds, notebook=notebook, **options)
    keep(table, notebook, profile=profile)
    return table


# --- claims and prose ---

def size_claims(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Notebook 04's claims, per method: the gap (held-out − train), and the held-out disparity, at the
    smallest training set minus at the largest, paired by seed."""
    runs, held = per_run(table, disparity), held_out_of(table)
    name = disparity.replace("_", " ")
    claims = []
    for label in runs.label.unique():
        mine = runs[runs.label == label]
        small, large = mine.n_train.min(), mine.n_train.max()
        where = f"({small:g} vs {large:g} examples)"
        for value, what in (("gap", "gap"), ("held_out", f"{held} disparity")):
            claims.append(claim(f"{label}: {what} at the smallest training set − at the largest > 0 {where}",
                                f"{name} {f'{held} − train' if value == 'gap' else f'on {held}'}, difference paired by seed",
                                seed_difference(per_seed_mean(mine, "n_train", [small], value),
                                                per_seed_mean(mine, "n_train", [large], value))))
    sizes = sorted(runs.n_train.unique())
    for label in constrained_labels(runs):
        claims.append(benefit_change_claim(runs, label, "n_train", sizes[-1], sizes[0], held,
                                           ("largest training set", "smallest"), "{:g} examples", disparity))
    return claims_table(claims)


def size_prose(table: pd.DataFrame, claims: pd.DataFrame, disparity: str = "equalized_odds_difference") -> str:
    """Notebook 04's "what you see", one paragraph per method, then how far the finite test set sits from the
    population; from ``table`` and ``claims``."""
    runs, held = per_run(table, disparity), held_out_of(table)
    lines = []
    for label in runs.label.unique():
        means = setting_means(runs[runs.label == label], ["n_train"])
        small, large = means.loc[means.index.min()], means.loc[means.index.max()]
        still = ("still fits its training set" if large.train_accuracy >= INTERPOLATING
                 else "does not fit its training set")
        lines.append(
            f"**{label}** ({seeds_text(means.n.min())}): from {means.index.min():g} to {means.index.max():g} "
            f"training examples the {held} disparity goes from {small.held_out:.2f} to {large.held_out:.2f} and the train "
            f"disparity from {small.train:.2f} to {large.train:.2f}; at the largest size the network {still} "
            f"(train accuracy {large.train_accuracy:.2f}). "
            + said(find(claims, f"{label}: gap at the smallest"), "The gap narrows with more data",
                   "A narrower gap with more data is not shown")
            + "; " + said(find(claims, f"{label}: {held} disparity at the smallest"),
                          f"the {held} disparity falls", f"a fall of the {held} disparity is not shown") + "."
            + benefit_sentence(runs, claims, label, "n_train", "largest training set", held))
    return "\n\n".join([*lines, finite_test_paragraph(table, disparity)])
