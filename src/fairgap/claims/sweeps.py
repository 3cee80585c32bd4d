"""Claims of notebooks 02 (constraint strength), 03 (model capacity) and 04 (training-set size).

Each ``*_claims`` function takes a sweep's results table (``fairgap.sweep.run_sweep``) and returns
a claims table (``fairgap.evidence.claims_table``); each ``*_prose`` function turns the table and
its claims into the Markdown of the notebook's "what you see", so that every number and every
verdict in that text comes from the results. Settings are chosen from the data by rules stated
here, never by looking at the quantity a claim tests:

* a setting **fits its training set** (interpolates) when its mean train accuracy over seeds is at
  least ``INTERPOLATING``; it is **under-parameterised** when it is below ``UNDERFIT``;
* the **representative weight** of a constraint (notebook 02) is the strongest weight at which the
  network still fits its training set: the regime the paper is about;
* the **leveling-down weight** is chosen on *validation* data only, never on the test predictions the
  claim is then tested on: the weakest weight at which fewer than half the seeds collapsed and whose
  mean validation disparity lies below the lower end of ERM's 95% interval. (ERM interpolates on the
  default data, so its *train* disparity is already ~0: a drop can only be measured on held-out data.)
  Seeds that collapsed to a constant predictor at that weight are excluded from the test and counted.

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

from ..evidence import (LITTLE, PRIMARY, SHOWN, Claim, claim, claims_table, fmt, fmt_p, seed_difference,
                        t_interval, untestable)
from ..generalisation import finite_test_prose, held_out_name, held_out_split, finite_test_error
from ..sweep import final_epoch, final_metric, train_test_gap

# The disparity a method whose objective names none (ERM, or a label outside fairgap.fairness) is judged on.
DEFAULT_DISPARITY = "equalized_odds_difference"
INTERPOLATING = 0.99
UNDERFIT = 0.95
GAIN_MARGIN = 0.01  # leveling down: the worse-off group gains at most this much test accuracy


RULES = {
    "fit": (f"A setting *fits its training set* (interpolates) when its mean train accuracy over seeds is at least "
            f"{INTERPOLATING}, and is *under-parameterised* below {UNDERFIT}."),
    "strength": ("The *representative weight* of a constraint is the strongest weight at which the network still "
                 "fits its training set. The *leveling-down weight* is chosen on validation data, never on test: the "
                 "weakest weight at which fewer than half the seeds collapsed and whose mean validation disparity lies "
                 "below the lower end of ERM's 95% interval (when ERM interpolates its train disparity is already zero, "
                 "so a drop can only be measured on held-out data). Leveling down is then tested on held-out accuracy "
                 "(the population where the data are generated, else test), "
                 f"collapsed seeds excluded and counted: the better-off group loses (interval below 0) and the worse-off "
                 f"group gains at most {GAIN_MARGIN} (interval below +{GAIN_MARGIN})."),
    "capacity": ("The gap at the widths that fit the training set is compared with the gap at the under-parameterised "
                 "widths (each averaged over its widths); widths in between are in neither class."),
    "size": "The smallest training set is compared with the largest.",
    "paired": "Claims over settings pair the runs by seed and take a 95% Student-t interval of the per-seed differences.",
}


def rules(notebook: str) -> str:
    """The rules that choose the settings a notebook's claims compare, in words (for its Markdown);
    ``notebook``: "strength" (02), "capacity" (03) or "size" (04)."""
    if notebook not in ("strength", "capacity", "size"):
        raise ValueError(f"notebook must be 'strength', 'capacity' or 'size', got {notebook!r}.")
    return " ".join(RULES[k] for k in ("fit", notebook, "paired"))


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


# --- notebook 02: constraint strength ---

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


# --- notebooks 03 and 04: the gap against capacity or training-set size ---

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
    return claims_table(claims)


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
                            "A larger gap at interpolating widths than at under-parameterised ones is not shown") + ".")
    return "\n\n".join([*lines, finite_test_paragraph(table, disparity)])


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
                          f"the {held} disparity falls", f"a fall of the {held} disparity is not shown") + ".")
    return "\n\n".join([*lines, finite_test_paragraph(table, disparity)])
