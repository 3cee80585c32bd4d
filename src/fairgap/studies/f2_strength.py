"""Notebook 02: constraint strength. Each penalty at each weight, and ERM, over seeds: ``SCALE`` (the
weights; resolved with the sweeps' seeds by ``scale``), ``constraint_strength`` (the runs),
``strength_trainer`` (the explorer's new runs), and the claims and prose.

Rules (besides those of ``fairgap.claims.sweep_rules``), never looking at the quantity a claim tests:

* the **representative weight** of a constraint is the strongest weight at which the network still
  fits its training set: the regime the paper is about;
* the **leveling-down weight** is chosen on *validation* data only, never on the test predictions the
  claim is then tested on: the weakest weight at which fewer than half the seeds collapsed and whose
  mean validation disparity lies below the lower end of ERM's 95% interval. (ERM interpolates on the
  default data, so its *train* disparity is already ~0: a drop can only be measured on held-out data.)
  Seeds that collapsed to a constant predictor at that weight are excluded from the test and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims.sweep_rules import (INTERPOLATING, find, finite_test_paragraph, held_out_of, per_run, rules_text, said,
                                  seeds_text, setting_means, targeted)
from ..evidence import LITTLE, SHOWN, Claim, claim, claims_table, fmt, seed_difference, t_interval, untestable
from ..generalisation import held_out_name, held_out_split
from ..paths import with_seed_offset
from ..profiles import check_seeds, dataset_overrides, sweep_base, sweep_executor, sweep_scale
from ..sweep import final_epoch, plan, product, run_sweep

# Five log-spaced weights up to 3.2, where both penalties have collapsed (the 5.6 and 10 of the previous
# grid only repeated the collapse).
SCALE = {"smoke": dict(weights=[0.3, 3.0]), "default": dict(weights=[0.1, 0.32, 1.0, 1.8, 3.2]),
         "paper": dict(weights=[0.1, 0.3, 1.0, 3.0, 10.0])}
GAIN_MARGIN = 0.01  # leveling down: the worse-off group gains at most this much test accuracy
RULE = ("The *representative weight* of a constraint is the strongest weight at which the network still "
        "fits its training set. The *leveling-down weight* is chosen on validation data, never on test: the "
        "weakest weight at which fewer than half the seeds collapsed and whose mean validation disparity lies "
        "below the lower end of ERM's 95% interval (when ERM interpolates its train disparity is already zero, "
        "so a drop can only be measured on held-out data). Leveling down is then tested on held-out accuracy "
        "(the population where the data are generated, else test), "
        f"collapsed seeds excluded and counted: the better-off group loses (interval below 0) and the worse-off "
        f"group gains at most {GAIN_MARGIN} (interval below +{GAIN_MARGIN}).")


def scale(profile: str) -> dict:
    """The sweeps' seeds and evaluation (``fairgap.profiles.sweep_scale``) with the profile's weights."""
    return {**sweep_scale(profile), **with_seed_offset(SCALE[profile])}


def rules() -> str:
    """The rules that choose the settings notebook 02's claims compare, in words."""
    return rules_text(RULE)


def constraint_strength(profile: str, methods: list[str], weights: list[float] | None = None,
                        seeds: list[int] | None = None,
                        warmup_epochs: int = 2, executor: str = "auto", dataset: str | None = None,
                        data: dict | None = None, primary_seeds: list[int] | None = None, **overrides) -> pd.DataFrame:
    """F2's data: each method at each weight (None: the profile's), and ERM, over ``seeds`` (None: the
    profile's; ERM is weight 0); the methods
    behind notebook 02's primary claims (and ERM, their reference) over ``primary_seeds`` (None: the
    profile's). ``dataset`` None: the profile's; ``data`` merges over the profile's dataset options."""
    from ..claims.primary import seeds_for

    settings = scale(profile)
    weights = settings["weights"] if weights is None else weights
    seeds = check_seeds(settings["seeds"] if seeds is None else seeds)
    primary_seeds = check_seeds(settings["primary_seeds"] if primary_seeds is None else primary_seeds,
                                "primary_seeds")
    base = sweep_base(profile, **dataset_overrides(dataset, data), **overrides)
    specs = product(method=methods, weight=weights, warmup_epochs=[warmup_epochs]) + [{"method": "erm"}]
    specs = [{**spec, "seeds": seeds_for("02_constraint_strength", spec["method"], seeds, primary_seeds)}
             for spec in specs]
    table = run_sweep(plan(base, specs, seeds), executor=sweep_executor(profile, executor),
                      progress=profile != "smoke")
    table.loc[table.method == "erm", "weight"] = 0.0
    return table


def strength_trainer(profile: str, seeds: list[int] | None = None, warmup_epochs: int = 2, dataset: str | None = None,
                     data: dict | None = None, **overrides):
    """For the notebook 02 explorer: a function (method, weight) -> the new runs' table, over ``seeds`` (None:
    the profile's)."""
    seeds = scale(profile)["seeds"] if seeds is None else seeds
    base = sweep_base(profile, **dataset_overrides(dataset, data), **overrides)

    def train_new(method: str, weight: float) -> pd.DataFrame:
        runs = plan(base, [{"method": method, "weight": weight, "warmup_epochs": warmup_epochs}], seeds)
        return run_sweep(runs, executor=sweep_executor(profile, "auto"), progress=True)

    return train_new


# --- claims and prose ---

def leveling_down(final: pd.DataFrame, split: str | None = None) -> pd.DataFrame:
    """Each group's ``split`` accuracy (None: the held-out split) minus ERM's at the same seed, for every
    constrained run (``change``)."""
    split = held_out_split(final) if split is None else split
    acc = final[(final.metric == "accuracy") & (final.split == split) & (final.group != "all")]
    erm = acc[acc.method == "erm"].set_index(["seed", "group"]).value.rename("erm_accuracy")
    out = acc[acc.method != "erm"].join(erm, on=["seed", "group"])
    return out.assign(change=out.value - out.erm_accuracy)


def representative_weight(means: pd.DataFrame) -> tuple[float, bool]:
    """``means`` of one method indexed by weight: the strongest weight whose mean train accuracy is at
    least ``INTERPOLATING``, and True; else the weakest weight, and False."""
    fitting = means.index[means.train_accuracy >= INTERPOLATING]
    return (float(fitting.max()), True) if len(fitting) else (float(means.index.min()), False)


def validation_runs(table: pd.DataFrame, disparity: str) -> pd.DataFrame:
    """One row per run: method, weight, seed, its validation ``disparity`` and whether it collapsed to a
    constant predictor on validation data (``collapsed``). What the leveling-down weight is chosen on."""
    final = final_epoch(table)
    val = final[(final.split == "val") & (final.group == "all")]
    wide = val[val.metric.isin([disparity, "collapsed"])].pivot_table(index="run", columns="metric", values="value")
    labels = final.drop_duplicates("run").set_index("run")[["method", "weight", "seed"]]
    return labels.join(wide, how="inner").rename(columns={disparity: "val"})


def fairer_weight(table: pd.DataFrame, method: str, disparity: str) -> tuple[float | None, str]:
    """The leveling-down weight of ``method``, chosen on validation data only: the weakest weight at which
    fewer than half the seeds collapsed and whose mean validation disparity over its non-collapsed seeds
    is below the lower end of ERM's 95% interval of validation disparity. Returns (weight or None, why)."""
    runs = validation_runs(table, disparity)
    if runs.empty:
        return None, "the runs have no validation split"
    erm_low, _ = t_interval(runs[runs.method == "erm"].val)
    mine = runs[runs.method == method]
    for weight, part in sorted(mine.groupby("weight"), key=lambda item: item[0]):
        if part.collapsed.mean() >= 0.5:
            continue
        if part[part.collapsed == 0].val.mean() < erm_low:
            return float(weight), f"mean validation disparity {part[part.collapsed == 0].val.mean():.2f} < {erm_low:.2f}"
    return None, "no weight with fewer than half the seeds collapsed lowers the validation disparity below ERM's interval"


def group_order(final: pd.DataFrame) -> tuple[str, str]:
    """(better-off, worse-off) group: by ERM's mean accuracy on validation data (test where there is none)."""
    split = "val" if (final.split == "val").any() else "test"
    acc = final[(final.metric == "accuracy") & (final.split == split) & (final.group != "all") & (final.method == "erm")]
    ranked = acc.groupby("group").value.mean().sort_values(ascending=False).index
    return str(ranked[0]), str(ranked[-1])


def collapsed_seeds(table: pd.DataFrame, method: str, weight: float, disparity: str) -> set:
    """The seeds at which ``method`` at ``weight`` collapsed to a constant predictor on validation data."""
    runs = validation_runs(table, disparity)
    mine = runs[(runs.method == method) & np.isclose(runs.weight, weight)]
    return set(mine.seed[mine.collapsed == 1])


def leveling_down_claims(table: pd.DataFrame, method: str, disparity: str) -> list[Claim]:
    """Leveling down, as two claims at the weight ``fairer_weight`` chooses on validation data, on held-out
    accuracy (population where present, else test) paired by seed, collapsed seeds excluded (and counted in the text):

    * the better-off group's change vs ERM is below 0;
    * the worse-off group's change vs ERM is at most ``GAIN_MARGIN`` (non-superiority: shown when its
      interval's upper end is below the margin). Where it gains, this claim is not shown.

    Leveling down holds when both are shown."""
    final = final_epoch(table)
    better, worse = group_order(final)
    weight, why = fairer_weight(table, method, disparity)
    head, held = f"leveling down ({method}): the ", held_out_name(held_out_split(final))
    texts = {"better": f"{head}better-off group ({better}) loses {held} accuracy vs ERM",
             "worse": f"{head}worse-off group ({worse}) gains at most {GAIN_MARGIN} {held} accuracy vs ERM"}
    statistic = f"Δ {held} accuracy of {{}} vs ERM, paired by seed, collapsed seeds excluded"
    if weight is None:
        return [untestable(texts["better"] + f" (not testable: {why})", statistic.format(better), "<", 0.0),
                untestable(texts["worse"] + f" (not testable: {why})", statistic.format(worse), "<", GAIN_MARGIN)]
    dropped = collapsed_seeds(table, method, weight, disparity)
    change = leveling_down(final)
    change = change[(change.method == method) & np.isclose(change.weight, weight) & ~change.seed.isin(dropped)]
    where = f" (λ = {weight:g}, chosen on validation data; {len(dropped)} collapsed seed{'s' * (len(dropped) != 1)} excluded)"
    return [claim(texts["better"] + where, statistic.format(better),
                  change[change.group == better].set_index("seed").change, "<", 0.0),
            claim(texts["worse"] + where, statistic.format(worse),
                  change[change.group == worse].set_index("seed").change, "<", GAIN_MARGIN)]


def strength_claims(table: pd.DataFrame, disparity: str | None = None) -> pd.DataFrame:
    """Notebook 02's claims: ERM's gap (held-out − train) on each disparity the methods are judged on; per
    method, on the disparity it targets (``targeted``; ``disparity`` given: that one for all), at the
    representative weight, the gap, and the held-out disparity vs ERM (above −``LITTLE``: little
    fairness bought; below 0: some bought); leveling down at the weight chosen on validation data."""
    held = held_out_of(table)
    methods = [m for m in table.method.unique() if m != "erm"]
    claims = []
    for metric in dict.fromkeys(targeted(m, disparity) for m in methods or ["erm"]):
        erm = per_run(table[table.method == "erm"], metric).set_index("seed")
        claims.append(claim(f"ERM: {held} − train disparity > 0 ({metric.replace('_', ' ')})",
                            f"{metric.replace('_', ' ')}, {held} − train, per seed", erm.gap))
    for method in methods:
        metric = targeted(method, disparity)
        name = metric.replace("_", " ")
        runs = per_run(table, metric)
        erm = runs[runs.method == "erm"].set_index("seed")
        mine = runs[runs.method == method]
        means = setting_means(mine, ["weight"])
        weight, fits = representative_weight(means)
        where = (f"the strongest weight at which the network still fits its training set (λ = {weight:g})" if fits
                 else f"the weakest weight, as no weight fits the training set (λ = {weight:g})")
        at = mine[np.isclose(mine.weight, weight)].set_index("seed")
        change = seed_difference(at.held_out, erm.held_out)
        claims.append(claim(f"{method}: {held} − train disparity > 0 at {where}", f"{name}, {held} − train, per seed",
                            at.gap))
        claims.append(claim(f"{method}: {held} disparity − ERM's > −{LITTLE} at {where}",
                            f"{name} on {held} minus ERM's, paired by seed; above −{LITTLE} means less than {LITTLE} "
                            "of fairness bought", change, ">", -LITTLE))
        claims.append(claim(f"{method}: {held} disparity below ERM's at {where}",
                            f"{name} on {held} minus ERM's, paired by seed", change, "<"))
        claims.extend(leveling_down_claims(table, method, metric))
    return claims_table(claims)


def leveling_down_sentence(table: pd.DataFrame, claims: pd.DataFrame, method: str, disparity: str) -> str:
    """Leveling down in words: where it is tested, each group's change vs ERM and what the verdicts allow."""
    loses = find(claims, f"leveling down ({method}): the better-off")
    gains = find(claims, f"leveling down ({method}): the worse-off")
    weight, why = fairer_weight(table, method, disparity)
    if weight is None:
        return f"Leveling down cannot be tested: {why}."
    better, worse = group_order(final_epoch(table))
    held = held_out_of(table)
    text = (f"At λ = {weight:g}, the weakest weight that lowers the validation disparity below ERM's interval "
            f"({why}), the {held} accuracy of the better-off group ({better}) changes by "
            f"{fmt(loses.estimate, loses.lower, loses.upper)} relative to ERM and that of the worse-off group "
            f"({worse}) by {fmt(gains.estimate, gains.lower, gains.upper)} ({seeds_text(loses.n)}, paired by seed, "
            f"collapsed seeds excluded). ")
    if loses.verdict == SHOWN and gains.verdict == SHOWN:
        return text + (f"Leveling down is shown: the better-off group lost {held} accuracy and the worse-off group "
                       f"gained at most {GAIN_MARGIN}.")
    reasons = []
    if loses.verdict != SHOWN:
        reasons.append("a loss for the better-off group is not shown")
    if gains.verdict != SHOWN:
        reasons.append("the worse-off group gains" if gains.lower > GAIN_MARGIN else
                       f"a gain of at most {GAIN_MARGIN} for the worse-off group is not shown (its interval reaches "
                       "above the margin: it may have gained)")
    return text + "Leveling down is not shown: " + "; ".join(reasons) + "."


def strength_prose(table: pd.DataFrame, claims: pd.DataFrame, disparity: str | None = None) -> str:
    """Notebook 02's "what you see", one paragraph per method (on the disparity it is judged on), then how far
    the finite test set sits from the population; every number from ``table`` / ``claims``."""
    held = held_out_of(table)
    methods = [m for m in table.method.unique() if m != "erm"]
    metrics = list(dict.fromkeys(targeted(m, disparity) for m in methods or ["erm"]))
    lines = []
    for metric in metrics:
        erm = setting_means(per_run(table[table.method == "erm"], metric), ["method"]).iloc[0]
        lines.append(f"ERM ({seeds_text(erm.n)}, {metric.replace('_', ' ')}): train {erm.train:.2f}, {held} "
                     f"{erm.held_out:.2f}, train accuracy {erm.train_accuracy:.2f}. " +
                     said(find(claims, f"ERM: {held} − train disparity > 0 ({metric.replace('_', ' ')})"),
                          f"Its {held} disparity is above its train disparity",
                          f"Its {held} − train gap is not shown to be above 0") + ".")
    for method in methods:
        metric = targeted(method, disparity)
        runs = per_run(table, metric)
        means = setting_means(runs[runs.method == method], ["weight"])
        weight, fits = representative_weight(means)
        at = means.loc[weight]
        which = ("the strongest weight at which the network still fits its training set" if fits
                 else f"the weakest weight; no weight reaches mean train accuracy {INTERPOLATING}")
        collapsing = means.index[means.collapsed >= 0.5]
        collapse = (f"The first weight at which at least half the seeds collapse to a constant predictor (trivially "
                    f"'fair') is λ = {collapsing.min():g} ({means.collapsed.loc[collapsing.min()]:.0%} of seeds)."
                    if len(collapsing) else "No weight collapses half the seeds or more.")
        lines.append(
            f"**{method}** ({seeds_text(means.n.min())}, judged on the {metric.replace('_', ' ')}, the disparity it "
            f"targets). At λ = {weight:g} ({which}; mean train accuracy {at.train_accuracy:.2f}), train disparity "
            f"{at.train:.2f}, {held} disparity {at.held_out:.2f}. "
            + said(find(claims, f"{method}: {held} − train disparity"), f"The {held} disparity is above the train disparity",
                   f"A {held} disparity above the train disparity is not shown")
            + "; " + said(find(claims, f"{method}: {held} disparity − ERM's"),
                          f"it buys less than {LITTLE} of {held} fairness against ERM",
                          f"that it buys less than {LITTLE} of {held} fairness is not shown")
            + "; " + said(find(claims, f"{method}: {held} disparity below ERM's"),
                          f"its {held} disparity is measurably below ERM's",
                          f"its {held} disparity is not shown to be below ERM's")
            + f". {collapse} "
            + leveling_down_sentence(table, claims, method, metric))
    lines += [finite_test_paragraph(table, metric) for metric in metrics]
    return "\n\n".join(lines)
