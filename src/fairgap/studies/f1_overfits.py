"""Notebook 01: fairness overfits. Each method trained over seeds, train and test (and, for generated data,
the population) evaluated along training: ``SCALE`` (resolved by ``scale``), ``fairness_overfits`` (the
runs' histories in one table, ``combined_history``'s, kept beside the figures), ``final_table`` (means per method).

Its claims: per method, the held-out − train disparity gap at the last
epoch, paired over seeds, and collapse; the demographic-parity mechanism (a constraint interpolation
cannot switch off); and what the band over seeds covers against the finite test set's sampling.

Generalisation is measured on the held-out split (``fairgap.generalisation.held_out_split``): the
generator's population where the data are generated, the test split where they are real. A seed draws
the generated data too (``data_seed`` None), so the band over seeds covers data sampling;
``sampling_halfwidths`` gives the size of one test set's sampling error, ``population_precision`` that
of the population's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims.sweep_rules import INTERPOLATING, find, held_out_of, per_run, said, seeds_text, targeted
from ..claims.operating_point import TOLERANCE, meets_constraint as meets
from ..evidence import LITTLE, Claim, claim, claims_table, rate_halfwidth, seed_difference, t_interval, untestable
from ..generalisation import (finite_test_prose, held_out_name, held_out_split, finite_test_error,
                              variance_sources)
from ..paths import check_profile, with_seed_offset
from ..profiles import base_config, check_seeds, dataset_overrides, run_labelled, sweep_executor, sweep_scale
from ..sweep import final_epoch, final_metric, method_config
from ..train import RunResult, data_seed_of

# Notebook 01's seeds per profile: every epoch of every method is evaluated, so fewer than the sweeps;
# the methods behind its primary claim (``fairgap.claims.primary``) run at the sweeps' primary seeds.
# Train and test are evaluated every ``eval_every`` epochs (F1's curves): every second epoch in the default
# profile, where a full evaluation of 3,000 faces costs about as much as an epoch of training.
NOTEBOOK = "01_fairness_overfits"
# On a table (``fairgap.profiles.TABLE_RUNS``: 200 epochs of an MLP, a test split of up to 30,000 rows) every tenth
# epoch (``table_eval_every``): the evaluations, not the training, would otherwise take most of a run.
SCALE = {"smoke": dict(seeds=[0], eval_every=1, table_eval_every=1),
         "default": dict(seeds=[0, 1, 2], eval_every=2, table_eval_every=10),
         "paper": dict(seeds=[0, 1, 2], eval_every=1, table_eval_every=5)}


def scale(profile: str) -> dict:
    """The profile's ``SCALE`` (seeds shifted by ``fairgap.paths.seed_offset``)."""
    check_profile(profile)
    return with_seed_offset(SCALE[profile])


def fairness_overfits(profile: str, methods: dict[str, dict], dataset: str | None = None, data: dict | None = None,
                      seeds: list[int] | None = None, epochs: int | None = None, executor: str = "auto",
                      primary_seeds: list[int] | None = None, results: str = "train",
                      notebook: str = NOTEBOOK) -> pd.DataFrame:
    """Notebook 01: one run per labelled method spec and seed (None: the profile's ``SCALE`` seeds; the
    methods behind the primary claim: ``primary_seeds``, None: the profile's), train and test evaluated
    every ``eval_every`` epochs of the profile: their histories in one table (``combined_history``).
    ``results``: "train" (train, or read the cache; keep the table beside the figures) or "committed" (read the
    kept table, ``fairgap.committed``; nothing trains).
    ``notebook``: where the table is kept (``fairgap.paths.notebook_key``: the notebook's own name, or with
    the table's name on a table) and whose primary settings get ``primary_seeds``."""
    from ..claims.primary import seeds_for
    from ..committed import COMMITTED, check_results, keep, load

    if check_results(results) == COMMITTED:
        return load(notebook, profile=profile)
    settings = scale(profile)
    seeds = check_seeds(settings["seeds"] if seeds is None else seeds)
    primary_seeds = check_seeds(sweep_scale(profile)["primary_seeds"] if primary_seeds is None else primary_seeds,
                                "primary_seeds")
    every = settings["table_eval_every" if dataset == "table" else "eval_every"]
    methods = methods_for_groups(methods, dataset, data)
    overrides = {**dataset_overrides(dataset, data), "eval_every": every}
    if epochs is not None:
        overrides["epochs"] = epochs
    base = base_config(profile, **overrides)
    configs = {(label, seed): method_config(base, {**spec, "seed": seed})
               for label, spec in methods.items()
               for seed in seeds_for(notebook, spec, seeds, primary_seeds)}
    history = combined_history(run_labelled(configs, progress=profile != "smoke",
                                            executor=sweep_executor(profile, executor)))
    keep(history, notebook, profile=profile)
    return history


def methods_for_groups(methods: dict[str, dict], dataset: str | None, data: dict | None) -> dict[str, dict]:
    """``methods`` without those that cannot constrain the data's number of groups (FairALM takes two; a table's
    sensitive column may have more), each left out with a printed line that says why."""
    from ..fairness import REGISTRY, takes_groups

    if dataset != "table":
        return methods   # the images' groups are two
    from ..data.table import load_table_dataset

    groups = load_table_dataset(seed=0, **dict(data or {})).group_labels
    kept = {label: spec for label, spec in methods.items() if takes_groups(spec["method"], len(groups))}
    for label in (label for label in methods if label not in kept):   # in the notebook's order, run after run
        name = methods[label]["method"]
        print(f"{label} left out: {name} constrains at most {REGISTRY[name].max_groups} groups, and this table has "
              f"{len(groups)} ({', '.join(map(str, groups))}).")
    return kept


def combined_history(results: dict[tuple[str, int], RunResult]) -> pd.DataFrame:
    """All histories in one tidy table with a ``method`` label, its ``objective`` (the fairness method's
    name, which says the disparity it targets), the run's ``seed`` and ``run`` key."""
    frames = [r.history.assign(method=label, objective=r.config.method, seed=r.config.seed, run=r.config.key(),
                               data_seed=data_seed_of(r.config))
              for (label, _), r in results.items()]
    return pd.concat(frames, ignore_index=True)


def _groups(rows: pd.DataFrame) -> list[str]:
    """The groups of a run's rows (its ``group_labels``), in their order, "all" aside."""
    return [g for g in dict.fromkeys(rows.group) if g != "all"]


def final_table(history: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per method at the last epoch, mean over seeds: train, test and (generated data) population disparity
    and accuracy per group; ``collapsed`` counts the seeds whose final model is a constant predictor on that
    split. ``history``: ``combined_history``'s table."""
    rows = []
    for (label, seed), final in final_epoch(history).groupby(["method", "seed"], sort=False):
        row = {"method": label, "seed": seed}
        for split in [s for s in ("train", "test", "population") if (final.split == s).any()]:
            part = final[final.split == split]
            get = lambda metric, group="all": float(part[(part.metric == metric) & (part.group == group)].value.iloc[0])  # noqa: E731
            row[f"{split} {disparity}"] = get(disparity)
            for group in _groups(final):
                row[f"{split} accuracy ({group})"] = get("accuracy", group)
            row[f"{split} collapsed"] = int(get("collapsed"))
        rows.append(row)
    per_run = pd.DataFrame(rows).drop(columns="seed").groupby("method", sort=False)
    table = per_run.mean()
    collapsed = [c for c in table.columns if c.endswith("collapsed")]
    table[collapsed] = per_run[collapsed].sum()
    return table.assign(seeds=per_run.size())


# --- claims and prose ---

REFERENCE = "ERM"
# Equal selection rates: the constraint interpolation cannot meet for free when the groups' base rates differ.
PARITY = "demographic_parity_difference"


def objective_of(history: pd.DataFrame, label: str) -> str:
    """The objective a label's runs trained with (``history``'s ``objective`` column), else the label."""
    if "objective" not in history:
        return label
    return str(history[history.method == label].objective.iloc[0])


def train_disparity(history: pd.DataFrame, label: str) -> pd.Series:
    """Per seed: ``label``'s final train disparity, on the disparity its objective targets."""
    return per_run(history[history.method == label], targeted(objective_of(history, label))).set_index("seed").train


def meets_constraint(history: pd.DataFrame, label: str) -> tuple[bool, float]:
    """(whether ``label`` meets its constraint on the training set, by the operating-point rule's test; its mean
    train disparity on the disparity its objective targets)."""
    mean = float(train_disparity(history, label).mean())
    return meets(mean), mean


def overfitting_claims(history: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per method (in the order of ``history``): held-out − train disparity > 0 at the last epoch (one
    value per seed), and the share of seeds whose final model collapsed to a constant predictor on the
    held-out split; per method other than ERM: whether it meets its constraint on the training set (mean
    train disparity, on the disparity it targets, below the rule's ``TOLERANCE``) and, paired by seed, its
    held-out − train disparity > ``LITTLE`` (the paper's finding: met on the training set, missed on new data by
    more than the margin) and, paired by seed, its held-out disparity − ERM's > −``LITTLE`` (it buys little
    fairness) and < 0 (it buys some). A method that misses its constraint on the training set is not tested:
    those rows say "not testable".
    Then ``parity_claims``."""
    runs = per_run(history, disparity)
    name, held = disparity.replace("_", " "), held_out_of(history)
    erm = runs[runs.method == REFERENCE].set_index("seed").held_out if REFERENCE in set(runs.method) else None
    claims = []
    for method in history.method.unique():
        mine = runs[runs.method == method]
        claims.append(claim(f"{method}: {held} − train disparity > 0 at the last epoch",
                            f"{name}, {held} − train, per seed", mine.set_index("seed").gap))
        claims.append(claim(f"{method}: collapses to a constant predictor",
                            f"share of seeds whose final model predicts one class on {held}",
                            mine.set_index("seed").collapsed))
        if erm is None or method == REFERENCE:
            continue
        target = targeted(objective_of(history, method))
        own = train_disparity(history, method)
        claims.append(claim(f"{method}: meets its constraint on the training set (train {target.replace('_', ' ')} "
                            f"< {TOLERANCE})", f"train {target.replace('_', ' ')} at the last epoch, per seed",
                            own, "<", TOLERANCE))
        texts = [(f"{method}: {held} − train disparity > {LITTLE} where it meets its constraint",
                  f"{name}, {held} − train, per seed; above {LITTLE}: the constraint, met on the training set, misses "
                  f"on new data by more than the margin", ">", LITTLE),
                 (f"{method}: {held} disparity − {REFERENCE}'s > −{LITTLE} at the last epoch",
                  f"{held} {name}: {method} − {REFERENCE} (same seed); above −{LITTLE} means the method buys less "
                  f"than {LITTLE} of {held} fairness", ">", -LITTLE),
                 (f"{method}: lower {held} disparity than {REFERENCE} at the last epoch",
                  f"{held} {name}: {method} − {REFERENCE} (same seed)", "<", 0.0)]
        mean = float(own.mean())
        if not meets(mean):
            claims += [untestable(f"{text} (not testable: it misses its constraint on the training set, mean train "
                                  f"{target.replace('_', ' ')} {mean:.3f} > {TOLERANCE})", statistic, direction, null)
                       for text, statistic, direction, null in texts]
            continue
        change = seed_difference(mine.set_index("seed").held_out, erm)
        values = [mine.set_index("seed").gap, change, change]
        claims += [claim(text, statistic, value, direction, null)
                   for (text, statistic, direction, null), value in zip(texts, values)]
    return claims_table(claims + parity_claims(history))


# --- demographic parity: the constraint interpolation cannot switch off ---

def parity_methods(history: pd.DataFrame) -> list[str]:
    """The labels whose objective (``history``'s ``objective`` column) targets demographic parity."""
    if "objective" not in history:
        return []
    objectives = history.drop_duplicates("method").set_index("method").objective
    return [label for label, objective in objectives.items() if targeted(objective) == PARITY]


def base_rate_gap(history: pd.DataFrame, split: str = "train", method: str = REFERENCE) -> pd.Series:
    """Per seed of ``method``: the largest minus the smallest group base rate on ``split`` (the demographic
    parity difference of a model that predicts every label of that split). Empty without base rates."""
    final = final_epoch(history[history.method == method])
    rows = final[(final.metric == "base_rate") & (final.split == split) & (final.group != "all")]
    if rows.empty:
        return pd.Series(dtype=float)
    return rows.groupby("seed").value.agg(lambda rates: rates.max() - rates.min())


def group_accuracy(history: pd.DataFrame, method: str, split: str = "train") -> pd.DataFrame:
    """``method``'s final accuracy per group on ``split``: rows seed, columns group."""
    final = final_epoch(history[history.method == method])
    rows = final[(final.metric == "accuracy") & (final.split == split) & (final.group != "all")]
    return rows.pivot_table(index="seed", columns="group", values="value")


def parity_claims(history: pd.DataFrame) -> list[Claim]:
    """For each method that targets demographic parity, against ERM at the same seeds: its held-out DP
    difference − ERM's < −``LITTLE`` (it buys at least that much), its held-out − train DP difference > 0,
    and each group's training accuracy below ERM's (the cost); and ERM's training DP difference > 0
    (interpolation leaves it at the training base-rate gap). None without such a method or ERM."""
    methods = parity_methods(history)
    if not methods or REFERENCE not in set(history.method):
        return []
    runs, held = per_run(history, PARITY), held_out_of(history)
    erm = runs[runs.method == REFERENCE].set_index("seed")
    erm_accuracy = group_accuracy(history, REFERENCE)
    claims = [claim(f"{REFERENCE}: train demographic parity difference > 0 at the last epoch",
                    "train demographic parity difference, per seed (a network that fits every label has the "
                    "training base-rate gap)", erm.train)]
    for method in methods:
        mine = runs[runs.method == method].set_index("seed")
        text = f"{method}: {held} demographic parity difference − {REFERENCE}'s < −{LITTLE} at the last epoch"
        statistic = (f"{held} demographic parity difference: {method} − {REFERENCE} (same seed); below "
                     f"−{LITTLE} means it buys at least {LITTLE} of {held} demographic parity")
        met, mean = meets_constraint(history, method)
        claims.append(claim(text, statistic, seed_difference(mine.held_out, erm.held_out), "<", -LITTLE) if met else
                      untestable(f"{text} (not testable: it misses its constraint on the training set, mean train "
                                 f"demographic parity difference {mean:.3f} > {TOLERANCE})", statistic, "<", -LITTLE))
        claims.append(claim(f"{method}: {held} − train demographic parity difference > 0 at the last epoch",
                            f"demographic parity difference, {held} − train, per seed", mine.gap))
        accuracy = group_accuracy(history, method)
        for group in accuracy.columns:
            claims.append(claim(f"{method}: train accuracy ({group}) below {REFERENCE}'s at the last epoch",
                                f"train accuracy of {group}: {method} − {REFERENCE} (same seed)",
                                seed_difference(accuracy[group], erm_accuracy[group]), "<"))
    return claims


def parity_prose(history: pd.DataFrame, claims: pd.DataFrame) -> str:
    """The demographic-parity mechanism in words, every number from ``history`` and ``claims``; empty
    without a method that targets demographic parity."""
    methods = parity_methods(history)
    if not methods or REFERENCE not in set(history.method):
        return ""
    runs, held = per_run(history, PARITY), held_out_of(history)
    erm = runs[runs.method == REFERENCE]
    gap = base_rate_gap(history)
    base = (f"the groups' training base rates differ by {gap.mean():.2f} (mean over ERM's {len(gap)} seeds)"
            if len(gap) else "the groups' training base rates differ")
    lines = [f"**A constraint interpolation cannot switch off.** Equalized odds and equal opportunity compare error "
             f"rates, which are all 0 on a training set the network fits. Demographic parity compares selection "
             f"rates, and {base}: a network that fits every training label selects each group at its base rate, so "
             f"its training demographic parity difference is that gap, not 0. ERM's is {erm.train.mean():.2f}: "
             + said(find(claims, f"{REFERENCE}: train demographic parity difference"), "above 0",
                    "above 0 is not shown") + "."]
    for method in methods:
        mine = runs[runs.method == method]
        cost = "; ".join(f"{group} " + said(find(claims, f"{method}: train accuracy ({group})"), "lower", "lower not shown")
                         for group in group_accuracy(history, method).columns)
        primary = find(claims, f"{method}: {held} demographic parity difference − {REFERENCE}'s")
        kind = " (primary claim)" if primary.get("kind") == "primary" else ""
        met, mean = meets_constraint(history, method)
        versus = (said(primary, f"it buys at least {LITTLE} of {held} demographic parity{kind}",
                       f"that it buys at least {LITTLE} of {held} demographic parity is not shown{kind}") if met else
                  f"it misses its own constraint on the training set (mean train demographic parity difference "
                  f"{mean:.2f}, above the tolerance {TOLERANCE} of the operating-point rule), so what it does on new data "
                  "is not evidence about how a constraint generalises")
        lines.append(
            f"* **{method}** ({seeds_text(mine.seed.nunique())}): train demographic parity difference "
            f"{mine.train.mean():.2f}, {held} {mine.held_out.mean():.2f} (ERM: {erm.train.mean():.2f} and "
            f"{erm.held_out.mean():.2f}). Against ERM at the same seeds, " + versus
            + "; " + said(find(claims, f"{method}: {held} − train demographic parity"),
                          f"its {held} demographic parity difference is above its training one",
                          f"a {held} demographic parity difference above the training one is not shown")
            + f". The cost, each group's training accuracy minus ERM's: {cost}.")
    return "\n".join(lines)


def sampling_halfwidths(history: pd.DataFrame) -> pd.DataFrame:
    """Per group of one test split: examples, positives, negatives, and the 95% half-width that test-set
    sampling alone puts on its TPR and FPR (at a rate of 0.5, the largest). ``history``: ``combined_history``'s
    table of one dataset (the first run's test split is read, its examples ``n`` and ``base_rate`` per group;
    generated data draw a test set of this size per seed)."""
    first = history[(history.run == history.run.iloc[0]) & (history.split == "test")]
    first = first[first.epoch == first.epoch.max()]
    rows = []
    for label in _groups(first):
        mine = first[first.group == label].set_index("metric").value
        examples = int(mine["n"])
        positives = int(round(mine["base_rate"] * examples))
        negatives = examples - positives
        rows.append({"group": label, "examples": examples, "positives": positives, "negatives": negatives,
                     "TPR ±": rate_halfwidth(positives), "FPR ±": rate_halfwidth(negatives)})
    return pd.DataFrame(rows).set_index("group")


def seed_spread(history: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per method: mean held-out disparity at the last epoch (``split`` names the split: population where
    present, else test), its standard deviation over seeds, and the half-width of its 95% t-interval."""
    split = held_out_split(history)
    final = final_metric(history, disparity)
    final = final[final.split == split]
    rows = []
    for method, values in final.groupby("method", sort=False).value:
        low, high = t_interval(values)
        rows.append({"method": method, "split": held_out_name(split), "seeds": len(values), disparity: values.mean(),
                     "sd over seeds": values.std(ddof=1) if len(values) > 1 else np.nan,
                     "interval half-width": (high - low) / 2})
    return pd.DataFrame(rows).set_index("method")


def sampling_prose(sampling: pd.DataFrame, spread: pd.DataFrame, sources: str) -> str:
    """What the band over seeds covers (``sources``: ``fairgap.generalisation.variance_sources``), how large
    one test set's sampling error is, and the spread of the final held-out disparity over seeds."""
    groups = "; ".join(f"{g}: {int(r.positives)} positives (TPR ± {r['TPR ±']:.3f}), {int(r.negatives)} "
                       f"negatives (FPR ± {r['FPR ±']:.3f})" for g, r in sampling.iterrows())
    difference = float(np.sqrt((sampling[["TPR ±", "FPR ±"]].max(axis=1) ** 2).sum()))
    sd, held = spread["sd over seeds"], spread["split"].iloc[0]
    seeds = (f"the standard deviation of the final {held} disparity over seeds ranges from {sd.min():.3f} to "
             f"{sd.max():.3f} across methods (n = {int(spread.seeds.min())} seeds)" if sd.notna().any()
             else f"with n = {int(spread.seeds.max())} seed there is no spread over seeds to compare")
    return (f"**What the band covers.** The band in F1 is over seeds: {sources}. A test set of this size moves each "
            f"group's rates by up to (95%, at a rate of 0.5) {groups}; a difference of two groups' rates by up to "
            f"about ± {difference:.3f}. By comparison, {seeds}.")


def population_prose(precision: pd.DataFrame) -> str:
    """How precise the population's own per-group rates are (``fairgap.generalisation.population_precision``);
    empty without a population."""
    if precision.empty:
        return ""
    groups = "; ".join(f"{r.group}: up to {int(r.n):,} examples (TPR ± {r['tpr ±']:.3f}, FPR ± {r['fpr ±']:.3f}, "
                       f"accuracy ± {r['accuracy ±']:.3f})" for _, r in precision.iterrows())
    return (f"**The population's own precision.** Every final model is also scored on the generator's population "
            f"sample, the same for every seed: equal numbers of each (group, label) cell, weighted back to the "
            f"generator's mix, scored until each group's TPR, FPR and accuracy is within ±0.01 (95%). The largest "
            f"half-widths over these runs: {groups}.")


def band_prose(history: pd.DataFrame, sampling: pd.DataFrame, spread: pd.DataFrame, precision: pd.DataFrame,
               disparity: str = "equalized_odds_difference") -> str:
    """Notebook 01's "what the band covers": the band's sources, one test set's sampling, the population's
    precision and how far the finite test set's disparity sits from the population's."""
    final = final_epoch(history)
    parts = [sampling_prose(sampling, spread, variance_sources(history)), population_prose(precision),
             finite_test_prose(finite_test_error(final, disparity), disparity.replace("_", " "))]
    return "\n\n".join(part for part in parts if part)


def overfitting_prose(history: pd.DataFrame, claims: pd.DataFrame, disparity: str = "equalized_odds_difference") -> str:
    """Notebook 01's "what you see", one line per method, then the demographic-parity mechanism
    (``parity_prose``); every number from ``history`` and ``claims``."""
    runs, held = per_run(history, disparity), held_out_of(history)
    lines = []
    for method in history.method.unique():
        mine = runs[runs.method == method]
        fits = mine.train_accuracy.mean() >= INTERPOLATING
        collapsed = int(mine.collapsed.sum())
        test = f" (test split {mine.test.mean():.2f})" if held != "test" else ""
        lines.append(
            f"* **{method}** ({seeds_text(mine.seed.nunique())}): train accuracy {mine.train_accuracy.mean():.2f} "
            f"({'fits' if fits else 'does not fit'} its training set), train disparity {mine.train.mean():.2f}, "
            f"{held} disparity {mine.held_out.mean():.2f}{test}. "
            + said(find(claims, f"{method}: {held} − train disparity > 0 "), f"The {held} disparity is above the train disparity",
                   f"A {held} disparity above the train disparity is not shown")
            + _beyond_margin(claims, method, held)
            + (f"; {collapsed} of {len(mine)} seeds collapsed to a constant predictor (trivially 'fair')"
               if collapsed else "; no seed collapsed")
            + (versus_reference(claims, method, held) if method != REFERENCE else "") + ".")
    parity = parity_prose(history, claims)
    return "\n".join(lines) + (f"\n\n{parity}" if parity else "")


def _beyond_margin(claims: pd.DataFrame, method: str, held: str) -> str:
    """The margin claim's sentence (methods other than ERM that meet their constraint), else nothing."""
    rows = claims[claims.claim.str.startswith(f"{method}: {held} − train disparity > {LITTLE}")]
    if not len(rows) or "not testable" in rows.claim.iloc[0]:
        return ""
    return "; " + said(rows.iloc[0], f"the {held} disparity exceeds the train disparity by more than {LITTLE}",
                       f"that the {held} disparity exceeds the train disparity by more than {LITTLE} is not shown")


def versus_reference(claims: pd.DataFrame, method: str, held: str = "test") -> str:
    """Against ERM at the same seeds: does the method buy little held-out fairness, does it buy any."""
    rows = claims[claims.claim.str.startswith(f"{method}: {held} disparity − {REFERENCE}'s")]
    if rows.empty:
        return ""
    little, some = rows.iloc[0], find(claims, f"{method}: lower {held} disparity than {REFERENCE}")
    kind = " (primary claim)" if little.get("kind") == "primary" else ""
    meets = find(claims, f"{method}: meets its constraint on the training set")
    constraint = (f"; its mean train disparity on the disparity it targets is {meets.estimate:.3f}, "
                  + ("within" if meets.estimate <= TOLERANCE else "above") + f" the tolerance {TOLERANCE}")
    if int(little["n"]) == 0:
        return constraint + ": it misses its constraint on the training set, so it is not compared with ERM"
    return (constraint + "; against ERM at the same seeds, " +
            said(little, f"it buys less than {LITTLE} of {held} fairness{kind}",
                 f"that it buys less than {LITTLE} of {held} fairness is not shown{kind}") + ", and " +
            said(some, f"its {held} disparity is measurably lower", f"a lower {held} disparity is not shown"))
