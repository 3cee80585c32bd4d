"""Notebook 02: constraint strength. Each penalty at each weight, and ERM, over seeds: ``SCALE`` (the
weights; resolved with the sweeps' seeds by ``scale``), ``constraint_strength`` (the runs),
``strength_trainer`` (the explorer's new runs), and the claims and prose.

Rules (besides those of ``fairgap.claims.sweep_rules``), never looking at the quantity a claim tests: each
method is tested at its **operating point** (``fairgap.claims.operating_point``): the weight with the lowest
mean validation disparity among those that do not collapse, keep train accuracy within a margin of ERM's
and meet the constraint on the training set. The equalized-odds penalty's was fixed by that rule on the
pilot (``fairgap.claims.primary.DECLARED_WEIGHTS``) before the committed runs; the others' is chosen on
these runs. A method with no such weight is reported with the rule's numbers, not tested. Leveling down
is tested at the operating point; seeds that collapsed there are excluded from the test and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims.operating_point import RULE as OPERATING_RULE
from ..committed import COMMITTED, check_results, keep, load, refusing_trainer
from ..claims.sweep_rules import (find, finite_test_paragraph, held_out_of, operating_choice, per_run, rule_runs,
                                  rules_text, said, seeds_text, setting_means, targeted)
from ..evidence import LITTLE, SHOWN, Claim, claim, claims_table, fmt, seed_difference, untestable
from ..generalisation import held_out_name, held_out_split
from ..paths import with_seed_offset
from ..profiles import check_seeds, dataset_overrides, sweep_base, sweep_executor, sweep_scale
from ..sweep import final_epoch, plan, product, run_sweep

# Five log-spaced weights up to 3.2, where both penalties have collapsed (the 5.6 and 10 of the previous
# grid only repeated the collapse).
NOTEBOOK = "02_constraint_strength"
SCALE = {"smoke": dict(weights=[0.3, 3.0]), "default": dict(weights=[0.1, 0.32, 1.0, 1.8, 3.2]),
         "paper": dict(weights=[0.1, 0.3, 1.0, 3.0, 10.0])}
GAIN_MARGIN = 0.01  # leveling down: the worse-off group gains at most this much test accuracy
RULE = (OPERATING_RULE + " The equalized-odds penalty is tested at the weight that rule chose on the pilot "
        "(fairgap.claims.primary), fixed before these runs; the other penalties at the weight it chooses on these "
        "runs. Leveling down is tested at that operating point on held-out accuracy (the population where the "
        "data are generated, else test), collapsed seeds excluded and counted: the better-off group loses "
        f"(interval below 0) and the worse-off group gains at most {GAIN_MARGIN} (interval below +{GAIN_MARGIN}).")


def scale(profile: str) -> dict:
    """The sweeps' seeds and evaluation (``fairgap.profiles.sweep_scale``) with the profile's weights."""
    return {**sweep_scale(profile), **with_seed_offset(SCALE[profile])}


def rules() -> str:
    """The rules that choose the settings notebook 02's claims compare, in words."""
    return rules_text(RULE)


def constraint_strength(profile: str, methods: list[str], weights: list[float] | None = None,
                        seeds: list[int] | None = None,
                        warmup_epochs: int = 2, executor: str = "auto", dataset: str | None = None,
                        data: dict | None = None, primary_seeds: list[int] | None = None, results: str = "train",
                        notebook: str = NOTEBOOK, **overrides) -> pd.DataFrame:
    """F2's data: each method at each weight (None: the profile's), and ERM, over ``seeds`` (None: the
    profile's; ERM is weight 0); the methods
    behind notebook 02's primary claims (and ERM, their reference) over ``primary_seeds`` (None: the
    profile's). ``dataset`` None: the profile's; ``data`` merges over the profile's dataset options.
    ``results``: "train" (train, or read the cache; keep the table beside the figures) or "committed" (read the
    kept table, ``fairgap.committed``).
    ``notebook``: where the table is kept (``fairgap.paths.notebook_key``: the notebook's own name, or with
    the table's name on a table) and whose primary settings get ``primary_seeds``."""
    from ..claims.primary import seeds_for

    if check_results(results) == COMMITTED:
        return load(notebook, profile=profile)
    settings = scale(profile)
    weights = settings["weights"] if weights is None else weights
    seeds = check_seeds(settings["seeds"] if seeds is None else seeds)
    primary_seeds = check_seeds(settings["primary_seeds"] if primary_seeds is None else primary_seeds,
                                "primary_seeds")
    base = sweep_base(profile, **dataset_overrides(dataset, data), **overrides)
    specs = product(method=methods, weight=weights, warmup_epochs=[warmup_epochs]) + [{"method": "erm"}]
    specs = [{**spec, "seeds": seeds_for(notebook, spec, seeds, primary_seeds)}
             for spec in specs]
    table = run_sweep(plan(base, specs, seeds), executor=sweep_executor(profile, executor),
                      progress=profile != "smoke")
    table.loc[table.method == "erm", "weight"] = 0.0
    keep(table, notebook, profile=profile)
    return table


def strength_trainer(profile: str, seeds: list[int] | None = None, warmup_epochs: int = 2, dataset: str | None = None,
                     data: dict | None = None, results: str = "train", **overrides):
    """For the notebook 02 explorer: a function (method, weight) -> the new runs' table, over ``seeds`` (None:
    the profile's); with ``results="committed"`` one that trains nothing and says so
    (``fairgap.committed.refusing_trainer``)."""
    if check_results(results) == COMMITTED:
        return refusing_trainer("A run at a new λ")
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


def operating_weight(table: pd.DataFrame, method: str, disparity: str):
    """(weight, choice): where ``method``'s claims are tested. A method with a declared operating point
    (``fairgap.claims.primary.DECLARED_WEIGHTS``: fixed by the rule on the pilot, before these runs) is tested
    there; any other at the weight the rule chooses on these runs' train and validation data (None: no weight
    meets its constraint on the training set). ``choice`` is the rule applied to these runs either way."""
    from ..claims.primary import DECLARED_WEIGHTS

    choice = operating_choice(table, method, disparity)
    declared = DECLARED_WEIGHTS.get(method)
    present = table[table.method == method].weight.dropna().unique()
    if declared is not None and np.isclose(present, declared).any():
        return float(declared), choice
    return choice.weight, choice


def where_text(weight: float, choice, method: str) -> str:
    """How a claim names its operating point: the weight, and whether these runs' rule agrees."""
    from ..claims.primary import DECLARED_WEIGHTS

    if method in DECLARED_WEIGHTS and np.isclose(weight, DECLARED_WEIGHTS[method]):
        agrees = ("the rule on these runs agrees" if choice.weight is not None and np.isclose(choice.weight, weight)
                  else f"the rule on these runs chooses {'λ = ' + format(choice.weight, 'g') if choice.weight is not None else 'no weight'}")
        return f"λ = {weight:g}, declared from the pilot; {agrees}"
    return f"λ = {weight:g}, chosen by the rule on these runs"


def group_order(final: pd.DataFrame) -> tuple[str, str]:
    """(better-off, worse-off) group: by ERM's mean accuracy on validation data (test where there is none)."""
    split = "val" if (final.split == "val").any() else "test"
    acc = final[(final.metric == "accuracy") & (final.split == split) & (final.group != "all") & (final.method == "erm")]
    ranked = acc.groupby("group").value.mean().sort_values(ascending=False).index
    return str(ranked[0]), str(ranked[-1])


def collapsed_seeds(table: pd.DataFrame, method: str, weight: float, disparity: str) -> set:
    """The seeds at which ``method`` at ``weight`` collapsed to a constant predictor on validation data."""
    runs = rule_runs(table, disparity)
    mine = runs[(runs.method == method) & np.isclose(runs.weight, weight)]
    return set(mine.seed[mine.collapsed == 1])


def leveling_down_claims(table: pd.DataFrame, method: str, disparity: str) -> list[Claim]:
    """Leveling down, as two claims at the method's operating point (``operating_weight``), on held-out
    accuracy (population where present, else test) paired by seed, collapsed seeds excluded (and counted):

    * the better-off group's change vs ERM is below 0;
    * the worse-off group's change vs ERM is at most ``GAIN_MARGIN`` (non-superiority: shown when its
      interval's upper end is below the margin). Where it gains, this claim is not shown.

    Leveling down holds when both are shown."""
    final = final_epoch(table)
    better, worse = group_order(final)
    weight, choice = operating_weight(table, method, disparity)
    head, held = f"leveling down ({method}): the ", held_out_name(held_out_split(final))
    texts = {"better": f"{head}better-off group ({better}) loses {held} accuracy vs ERM at the operating point",
             "worse": f"{head}worse-off group ({worse}) gains at most {GAIN_MARGIN} {held} accuracy vs ERM at the operating point"}
    statistic = f"Δ {held} accuracy of {{}} vs ERM, paired by seed, collapsed seeds excluded"
    if weight is None:
        why = "no weight meets its constraint on the training set without collapsing or degrading the model"
        return [untestable(texts["better"] + f" (not testable: {why})", statistic.format(better), "<", 0.0),
                untestable(texts["worse"] + f" (not testable: {why})", statistic.format(worse), "<", GAIN_MARGIN)]
    dropped = collapsed_seeds(table, method, weight, disparity)
    change = leveling_down(final)
    change = change[(change.method == method) & np.isclose(change.weight, weight) & ~change.seed.isin(dropped)]
    where = (f" ({where_text(weight, choice, method)}; {len(dropped)} collapsed seed{'s' * (len(dropped) != 1)} "
             "excluded)")
    return [claim(texts["better"] + where, statistic.format(better),
                  change[change.group == better].set_index("seed").change, "<", 0.0),
            claim(texts["worse"] + where, statistic.format(worse),
                  change[change.group == worse].set_index("seed").change, "<", GAIN_MARGIN)]


def strength_claims(table: pd.DataFrame, disparity: str | None = None) -> pd.DataFrame:
    """Notebook 02's claims: ERM's gap (held-out − train) on each disparity the methods are judged on; per
    method, on the disparity it targets (``targeted``; ``disparity`` given: that one for all), whether some
    weight meets its constraint on the training set, and at its operating point (``operating_weight``) the
    gap, the held-out disparity vs ERM (above −``LITTLE``: little fairness bought; below 0: some bought) and
    leveling down. A method no weight of which meets its constraint gets "not testable" rows that say so."""
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
        weight, choice = operating_weight(table, method, metric)
        texts = [(f"{method}: {held} − train disparity > 0 at the operating point", f"{name}, {held} − train, per seed", ">", 0.0),
                 (f"{method}: {held} disparity − ERM's > −{LITTLE} at the operating point",
                  f"{name} on {held} minus ERM's, paired by seed; above −{LITTLE} means less than {LITTLE} of fairness "
                  "bought", ">", -LITTLE),
                 (f"{method}: {held} disparity below ERM's at the operating point", f"{name} on {held} minus ERM's, "
                  "paired by seed", "<", 0.0)]
        if weight is None:
            claims += [untestable(f"{text} (not testable: no weight meets its constraint on the training set without "
                                  "collapsing or degrading the model)", statistic, direction, null)
                       for text, statistic, direction, null in texts]
        else:
            at = runs[(runs.method == method) & np.isclose(runs.weight, weight)].set_index("seed")
            change = seed_difference(at.held_out, erm.held_out)
            where = f" ({where_text(weight, choice, method)})"
            claims += [claim(text + where, statistic, values, direction, null)
                       for (text, statistic, direction, null), values in zip(texts, (at.gap, change, change))]
        claims.extend(leveling_down_claims(table, method, metric))
    return claims_table(claims)


def leveling_down_sentence(table: pd.DataFrame, claims: pd.DataFrame, method: str, disparity: str) -> str:
    """Leveling down in words: where it is tested, each group's change vs ERM and what the verdicts allow."""
    loses = find(claims, f"leveling down ({method}): the better-off")
    gains = find(claims, f"leveling down ({method}): the worse-off")
    weight, _ = operating_weight(table, method, disparity)
    if weight is None:
        return "Leveling down is not tested: no weight is an operating point."
    better, worse = group_order(final_epoch(table))
    held = held_out_of(table)
    text = (f"At the operating point λ = {weight:g}, the {held} accuracy of the better-off group ({better}) changes by "
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


def rule_sentence(table: pd.DataFrame, method: str, disparity: str) -> str:
    """The operating-point rule on these runs, in words: each weight kept or dropped, and why."""
    weight, choice = operating_weight(table, method, disparity)
    if weight is None:
        return (f"No weight meets the constraint on the training set without collapsing or degrading the model, so "
                f"{method} is reported, not used as evidence about generalisation: {choice.why()}.")
    return f"Operating point: {where_text(weight, choice, method)}. The rule on these runs: {choice.why()}."


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
        weight, _ = operating_weight(table, method, metric)
        collapsing = means.index[means.collapsed >= 0.5]
        collapse = (f"The first weight at which at least half the seeds collapse to a constant predictor (trivially "
                    f"'fair') is λ = {collapsing.min():g} ({means.collapsed.loc[collapsing.min()]:.0%} of seeds)."
                    if len(collapsing) else "No weight collapses half the seeds or more.")
        head = f"**{method}** (judged on the {metric.replace('_', ' ')}, the disparity it targets). {rule_sentence(table, method, metric)} "
        if weight is None:
            lines.append(head + collapse)
            continue
        at = means.loc[weight]
        lines.append(
            head + f"At λ = {weight:g} ({seeds_text(at.n)}; mean train accuracy {at.train_accuracy:.2f}): train disparity "
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
