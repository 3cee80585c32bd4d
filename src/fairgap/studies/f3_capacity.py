"""Notebook 03: model capacity. The train-test fairness gap against the width of the small CNN: ``SCALE``
(the widths; resolved with the sweeps' seeds by ``scale``), ``model_capacity`` (the runs), and the claims
and prose.
"""

from __future__ import annotations

import pandas as pd

from ..claims.sweep_rules import (INTERPOLATING, UNDERFIT, benefit_change_claim, benefit_sentence, constrained_labels,
                                  find, finite_test_paragraph, held_out_of, per_run, per_seed_mean, rules_text, said,
                                  seeds_text, setting_means, values_list)
from ..committed import COMMITTED, check_results, keep, load
from ..evidence import claim, claims_table, seed_difference, untestable
from ..paths import with_seed_offset
from ..profiles import capacity_or_size, sweep_scale

SCALE = {"smoke": dict(widths=[0.25, 0.5]), "default": dict(widths=[0.0625, 0.125, 0.25, 0.5, 1.0]),
         "paper": dict(widths=[0.25, 0.5, 1.0, 2.0, 4.0, 8.0])}
# On a table (``dataset="table"``) the MLP's hidden units (``fairgap.profiles.TABLE_RUNS``), from too few to fit the
# training rows to enough to interpolate them.
NOTEBOOK = "03_model_capacity"
TABLE_WIDTHS = {"smoke": [8, 64], "default": [4, 16, 64, 256], "paper": [4, 16, 64, 256, 1024]}
# On a table the grid's ends run at the seeds (random splits) the Adult pilot asked for: its per-seed SD of the benefit
# change, 0.0825, needs 24 for 80% power (fairgap.claims.primary); the other widths at the profile's seeds.
TABLE_PRIMARY_SEEDS = {"smoke": [0], "default": list(range(24)), "paper": list(range(24))}
RULE = ("The constraint's benefit on new data (ERM's held-out disparity minus the constrained network's, same seed and "
        "width) is compared between the largest width of the grid and the smallest at which no pilot seed collapsed "
        "(fairgap.claims.primary.CAPACITY_WIDTHS, fixed before the runs); the "
        "constraint's weight is notebook 02's operating point. Descriptively, the gap at the widths that fit the "
        "training set is compared with the gap at the under-parameterised widths (each averaged over its widths).")


def scale(profile: str) -> dict:
    """The sweeps' seeds and evaluation (``fairgap.profiles.sweep_scale``) with the profile's widths."""
    return {**sweep_scale(profile), **with_seed_offset(SCALE[profile])}


def compared_widths(widths) -> tuple[float, float]:
    """The two widths the benefit claim compares: a declared pair (``fairgap.claims.primary.CAPACITY_WIDTHS`` on
    images, ``TABLE_CAPACITY_WIDTHS`` on a table's MLP; fixed from the pilots) where the runs have both, else the
    smallest and largest of ``widths``."""
    from ..claims.primary import CAPACITY_WIDTHS, TABLE_CAPACITY_WIDTHS

    widths = sorted(float(w) for w in widths)
    for pair in (CAPACITY_WIDTHS, TABLE_CAPACITY_WIDTHS):
        if all(any(abs(w - c) < 1e-12 for w in widths) for c in pair):
            return pair
    return widths[0], widths[-1]


def rules() -> str:
    """The rules that choose the settings notebook 03's claims compare, in words."""
    return rules_text(RULE)


def model_capacity(profile: str, methods: dict[str, dict], widths: list[float] | None = None,
                   seeds: list[int] | None = None, results: str = "train", notebook: str = NOTEBOOK,
                   **options) -> pd.DataFrame:
    """F3's data: each labelled method spec at each width of the small CNN (None: the profile's), over ``seeds``
    (None: the profile's); ``options`` as ``fairgap.profiles.capacity_or_size`` takes them.
    ``notebook``: where the table is kept (``fairgap.paths.notebook_key``: the notebook's own name, or with
    the table's name on a table) and whose primary settings get ``primary_seeds``."""
    if check_results(results) == COMMITTED:  # the kept table (fairgap.committed), no training
        return load(notebook, profile=profile)
    settings = scale(profile)
    if options.get("dataset") == "table":
        if widths is None:   # an MLP's units per hidden layer, not a multiplier
            widths = TABLE_WIDTHS[profile]
        if options.get("primary_seeds") is None:
            options["primary_seeds"] = with_seed_offset({"primary_seeds": TABLE_PRIMARY_SEEDS[profile]})["primary_seeds"]
    table = capacity_or_size(profile, "width", settings["widths"] if widths is None else widths, methods,
                             settings["seeds"] if seeds is None else seeds, notebook=notebook, **options)
    keep(table, notebook, profile=profile)
    return table


# --- claims and prose ---

def capacity_claims(table: pd.DataFrame, disparity: str = "equalized_odds_difference", axis: str = "width") -> pd.DataFrame:
    """Notebook 03's claims, per method: the gap at the widths that fit the training set minus the gap at
    the under-parameterised widths (both chosen by mean train accuracy), paired by seed."""
    runs, held = per_run(table, disparity), held_out_of(table)
    claims = []
    for label in runs.label.unique():
        mine = runs[runs.label == label]
        means = setting_means(mine, [axis])
        fitting = means.index[means.train_accuracy >= INTERPOLATING]
        under = means.index[means.train_accuracy < UNDERFIT]
        text = f"{label}: gap at interpolating widths − gap at under-parameterised widths > 0"
        statistic = f"{disparity.replace('_', ' ')} gap ({held} − train), mean over widths, difference paired by seed"
        if len(fitting) and len(under):
            claims.append(claim(f"{text} (widths {values_list(fitting)} vs {values_list(under)})", statistic,
                                seed_difference(per_seed_mean(mine, axis, fitting), per_seed_mean(mine, axis, under))))
        else:
            missing = f"train accuracy ≥ {INTERPOLATING}" if not len(fitting) else f"train accuracy < {UNDERFIT}"
            claims.append(untestable(f"{text} (no width with {missing}: not testable)", statistic))
    small, large = compared_widths(runs[axis].unique())
    for label in constrained_labels(runs):
        claims.append(benefit_change_claim(runs, label, axis, small, large, held, ("smaller width", "larger"),
                                           "width {:g}", disparity))
    return claims_table(claims)


def capacity_prose(table: pd.DataFrame, claims: pd.DataFrame, disparity: str = "equalized_odds_difference") -> str:
    """Notebook 03's "what you see", one paragraph per method, then how far the finite test set sits from the
    population; from ``table`` and ``claims``."""
    runs = per_run(table, disparity)
    lines = []
    for label in runs.label.unique():
        means = setting_means(runs[runs.label == label], ["width"])
        fitting = means.index[means.train_accuracy >= INTERPOLATING]
        per_width = "; ".join(f"width {w:g} ({r.parameters:,.0f} parameters): train accuracy "
                              f"{r.train_accuracy:.2f}, gap {r.gap:.2f}" for w, r in means.iterrows())
        first = (f"the network fits its training set (train accuracy ≥ {INTERPOLATING}) from width {fitting.min():g} on"
                 if len(fitting) else f"no width reaches train accuracy {INTERPOLATING}")
        lines.append(f"**{label}** ({seeds_text(means.n.min())}): {first}. Per width: {per_width}. "
                     + said(find(claims, f"{label}: gap at interpolating"),
                            "The gap is larger at the interpolating widths than at the under-parameterised ones",
                            "A larger gap at interpolating widths than at under-parameterised ones is not shown") + "."
                     + benefit_sentence(runs, claims, label, "width", "smaller width", held_out_of(table)))
    return "\n\n".join([*lines, finite_test_paragraph(table, disparity)])
