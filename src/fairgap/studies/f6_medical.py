"""Notebook 06, medical diagnosis: per-group AUC and TPR gap, train against test, for ERM and fairness methods.

The experiment trains one network per method (and seed) to detect one chest X-ray finding,
with sex or age as the sensitive attribute, then evaluates the last epoch's scores:

* **AUC per group** (threshold-free), on train, val and test.
* **TPR gap at an operating point chosen on validation data.** A clinical classifier is used at
  a threshold, and that threshold has to be chosen without the test set. Each run gets its own
  threshold from its *validation* scores, by one of two rules (``threshold_rule``):

  - ``"tpr"`` (the default): the highest threshold at which the overall validation TPR
    (sensitivity) reaches ``target_tpr`` (0.8 by default), a screening operating point. Every
    method then works at the same overall sensitivity, so their TPR gaps are comparable.
  - ``"balanced_accuracy"``: the threshold that maximises validation balanced accuracy
    ((TPR + TNR) / 2, i.e. Youden's J).

  The same threshold is then applied to train, val and test, and the TPR gap is fairlearn's
  ``equal_opportunity_difference`` (largest minus smallest group TPR; the "between groups"
  variant).
* **Unintended consequences**: each group's held-out AUC (and TPR) minus ERM's, with a 95%
  bootstrap interval over held-out images (the same resampled images for both models, so the
  interval is for the paired difference). Held out means the generator's population where the
  X-rays are generated (the same patients for every seed; ``fairgap.generalisation``), else the
  test split.

Profiles (built on ``fairgap.profiles.base_config``; the notebook's own settings live here, ``SETTINGS``
and ``SCALE``, its seeds, resolved by ``scale``):

* ``smoke``: 240 training images of 16 px, a quarter-width CNN, 2 epochs (seconds; numbers meaningless).
* ``default``: the generated ``synthetic_xray`` data at 32 px (2,000 training images), the small
  CNN at half width, 30 epochs of Adam (batches of 64, learning rate 2e-3): ERM interpolates
  (train accuracy 100%) in about a minute per method on a 2-core CPU.
* ``paper``: CheXpert-v1.0-small at 64 px (frontal views, uncertain labels dropped), DenseNet-121,
  on a GPU (device "auto").

Claims: does each method's TPR gap between groups grow from the training to new patients,
and does each method change a group's AUC on new patients relative to ERM? Both are paired: the gap within
each run (the same threshold on both splits), the AUC change by seed (method and ERM at the same seed).
New patients are the generator's population where the X-rays are generated, the test split where they are
real (``fairgap.generalisation.held_out_split``); the claims name which.

Input: ``score_table``: rows (method, seed, split, group, metric, value) at each run's
validation-chosen threshold; the TPR gap is the metric ``equal_opportunity_difference`` of group "all".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import roc_curve

from ..data import profile_options
from ..claims.operating_point import TOLERANCE, meets_constraint
from ..evidence import (LITTLE, SHOWN, claim, claims_table, fmt, fmt_claim, fmt_mean, paired, rate_halfwidth, t_interval,
                        untestable)
from ..generalisation import POPULATION, finite_test_error, finite_test_prose, held_out_split
from ..metrics import evaluate
from ..paths import check_profile, with_seed_offset
from ..profiles import base_config, run_labelled
from ..sweep import method_config
from ..train import RunConfig, RunResult, data_seed_of

NOTEBOOK = "06_medical_diagnosis"
THRESHOLD_RULES = ("tpr", "balanced_accuracy")

# The same finding under its synthetic_xray name and its CheXpert column.
FINDINGS = {"effusion": "Pleural Effusion", "opacity": "Lung Opacity", "cardiomegaly": "Cardiomegaly"}

SETTINGS = {
    "smoke": dict(dataset="synthetic_xray", data={"n_train": 240, "n_val": 160, "n_test": 240, "image_size": 16,
                                                  "prevalence": (0.4, 0.4)},
                  model="small_cnn", width=0.25, epochs=3, batch_size=64, lr=1e-3, eval_every=3, device="cpu"),
    "default": dict(dataset="synthetic_xray", data={"n_train": 2000, "n_val": 1000, "n_test": 2000, "image_size": 32},
                    model="small_cnn", width=0.5, epochs=30, batch_size=64, lr=2e-3, eval_every=10, device="cpu"),
    "paper": dict(dataset="chexpert", data={"image_size": 64, "frontal_only": True, "uncertain": "ignore"},
                  model="densenet121", width=1.0, epochs=10, batch_size=128, lr=1e-3, eval_every=1, device="auto"),
}

# Seeds per profile: one in smoke (CI time), three in default and paper; the methods behind the primary
# claim (``fairgap.claims.primary``) run at the primary seeds, ten outside smoke. A run's seed fixes its
# initialisation and batch order and, on generated X-rays, draws the run's own patients (RunConfig.data_seed).
SCALE = {"smoke": dict(seeds=[0], primary_seeds=[0]), "default": dict(seeds=[0, 1, 2], primary_seeds=list(range(10))),
         "paper": dict(seeds=[0, 1, 2], primary_seeds=list(range(10)))}


def experiment_config(profile: str, finding: str | None = None, sensitive: str = "sex", data: dict | None = None,
                      **overrides) -> RunConfig:
    """The notebook's base RunConfig for ``profile``.

    finding: "effusion", "opacity" or "cardiomegaly" (mapped to the CheXpert column on CheXpert, where
        any other CheXpert label column is accepted as well); None keeps the dataset's default.
    sensitive: "sex" or "age".
    data: dataset options merged over the profile's; overrides: any RunConfig field.
    """
    check_profile(profile)
    settings = {**SETTINGS[profile], **overrides}
    dataset = settings["dataset"]
    options = dict(SETTINGS[profile]["data"]) if dataset == SETTINGS[profile]["dataset"] \
        else profile_options(profile, dataset)
    options["sensitive"] = sensitive
    if finding is not None:
        options["target"] = FINDINGS.get(finding, finding) if dataset == "chexpert" else finding
    options.update(data or {})
    settings["data"] = options
    return base_config(profile, **settings)


def scale(profile: str) -> dict:
    """The seeds notebook 06 runs by default (``SCALE``; shifted by ``fairgap.paths.seed_offset``)."""
    check_profile(profile)
    return with_seed_offset(SCALE[profile])


def method_configs(base: RunConfig, methods: dict[str, dict], seeds=(0,),
                   primary_seeds=None) -> dict[tuple[str, int], RunConfig]:
    """(label, seed) -> RunConfig for every method spec and seed (validated before anything trains); the
    methods behind a primary claim run at ``primary_seeds`` (None: ``seeds``)."""
    from ..claims.primary import seeds_for

    if not methods:
        raise ValueError("methods is empty; give at least {'ERM': {'method': 'erm'}}.")
    primary_seeds = seeds if primary_seeds is None else primary_seeds
    return {(label, int(seed)): method_config(base, spec).replace(seed=int(seed))
            for label, spec in methods.items() for seed in seeds_for(NOTEBOOK, spec, seeds, primary_seeds)}


def profile_configs(profile: str, base: RunConfig, methods: dict[str, dict], seeds=None,
                    primary_seeds=None) -> dict[tuple[str, int], RunConfig]:
    """``method_configs`` at the profile's seeds and primary seeds where they are None."""
    settings = scale(profile)
    return method_configs(base, methods, settings["seeds"] if seeds is None else seeds,
                          settings["primary_seeds"] if primary_seeds is None else primary_seeds)


def train_methods(configs: dict[tuple[str, int], RunConfig], progress: bool = True,
                  executor: str = "auto") -> dict[tuple[str, int], RunResult]:
    """Train (or load from the run cache) every config, spread over local processes unless
    ``executor="sequential"`` (see ``fairgap.sweep.run_sweep``)."""
    keyed = {f"{label} (seed {seed})": config for (label, seed), config in configs.items()}
    results = run_labelled(keyed, progress=progress, executor=executor)
    return {key: results[f"{key[0]} (seed {key[1]})"] for key in configs}


# --- thresholds and metrics ---

def choose_threshold(score, target, rule: str = "tpr", target_tpr: float = 0.8) -> float:
    """A decision threshold from validation scores (predict positive when score >= threshold)."""
    score, target = np.asarray(score, dtype=np.float64), np.asarray(target)
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"Unknown threshold_rule {rule!r}. Valid rules: {', '.join(THRESHOLD_RULES)}.")
    if not 0 < target_tpr <= 1:
        raise ValueError(f"target_tpr={target_tpr} must be in (0, 1].")
    if len(np.unique(target)) < 2:
        raise ValueError("The validation split needs both positive and negative examples to choose a threshold.")
    fpr, tpr, thresholds = roc_curve(target, score)
    if rule == "tpr":
        index = int(np.argmax(tpr >= target_tpr - 1e-12))
    else:
        index = int(np.argmax(tpr - fpr))
    return float(min(thresholds[index], 1.0))  # roc_curve's first threshold is +inf


def describe_rule(threshold_rule: str = "tpr", target_tpr: float = 0.8) -> str:
    """How the threshold was chosen, in words (for figure titles)."""
    if threshold_rule == "tpr":
        return f"threshold: validation TPR = {target_tpr:.0%}"
    return "threshold: best validation balanced accuracy"


def score_table(results: dict[tuple[str, int], RunResult], threshold_rule: str = "tpr",
                target_tpr: float = 0.8, splits=("train", "val", "test", POPULATION)) -> pd.DataFrame:
    """Tidy rows (method, seed, data_seed, split, group, metric, value) at each run's validation threshold
    (the population split where the runs have one).

    Metrics per group and overall: n, loss, accuracy, tpr, fpr, selection_rate, auc; overall only:
    the disparities of fairgap.metrics (equal_opportunity_difference is the TPR gap), collapsed,
    and threshold (the same for every split of a run).
    """
    rows = []
    for (label, seed), result in results.items():
        if "val" not in result.scores:
            raise ValueError(f"Run {label!r} has no validation scores; the dataset needs a val split "
                             "(n_val > 0) to choose the threshold.")
        val = result.scores["val"]
        threshold = choose_threshold(val["score"], val["target"], threshold_rule, target_tpr)
        groups = result.info["group_labels"]
        for split in splits:
            if split not in result.scores:
                continue
            part = result.scores[split]
            base = {"method": label, "seed": seed, "data_seed": data_seed_of(result.config), "split": split}
            rows += [{**base, **row} for row in evaluate(part["target"], part["score"], part["group"], threshold, groups,
                                                          part.get("weight"))]
            rows.append({**base, "group": "all", "metric": "threshold", "value": threshold})
    return pd.DataFrame(rows, columns=["method", "seed", "data_seed", "split", "group", "metric", "value"])


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per method (mean over seeds): per-group AUC and TPR on train, test and (where the runs
    have it) the population, the TPR gap, the threshold and whether any run collapsed to a constant
    prediction."""
    groups = [g for g in table.group.unique() if g != "all"]
    mean = table.groupby(["method", "split", "group", "metric"], sort=False).value.mean()
    rows = []
    for method in table.method.unique():
        row = {"method": method, "threshold": mean[(method, "val", "all", "threshold")]}
        for split in dict.fromkeys(("train", "test", held_out_split(table))):
            for g in groups:
                row[f"{split} AUC ({g})"] = mean[(method, split, g, "auc")]
            for g in groups:
                row[f"{split} TPR ({g})"] = mean[(method, split, g, "tpr")]
            row[f"{split} TPR gap"] = mean[(method, split, "all", "equal_opportunity_difference")]
        collapsed = table[(table.method == method) & (table.metric == "collapsed")].value
        row["collapsed"] = bool(collapsed.max() > 0)
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")


def _auc(target, score):
    """ROC AUC as the Mann-Whitney statistic (ties count one half): sklearn's value, ~10x faster."""
    positives = int(target.sum())
    negatives = len(target) - positives
    if positives == 0 or negatives == 0:
        return np.nan
    ranks = rankdata(score)
    return (ranks[target == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)


def _tpr(target, predicted):
    positives = target == 1
    return predicted[positives].mean() if positives.any() else np.nan


def consequences(results: dict[tuple[str, int], RunResult], table: pd.DataFrame, reference: str = "ERM",
                 n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Each group's held-out AUC and TPR (at each run's own threshold) minus the reference's,
    averaged over seeds, with two 95% intervals of that change. Held out is the population where the
    runs have one (the same patients for every seed), else the test split:

    * ``low``, ``high``: a paired bootstrap over held-out images (the same resampled patients for both
      models): how much the sampling of those patients alone moves the change;
    * ``seed_low``, ``seed_high``: a 95% Student-t interval over seeds of the per-seed differences
      (method − reference at the same seed; ``seeds`` of them): how much training randomness moves it.

    Rows: method, group, metric ("AUC" or "TPR"), change, low, high, seed_low, seed_high, seeds,
    reference_value, value. Empty when ``reference`` is not among the methods.
    """
    columns = ["method", "group", "metric", "change", "low", "high", "seed_low", "seed_high", "seeds",
               "reference_value", "value"]
    labels = list(dict.fromkeys(label for label, _ in results))
    seeds = sorted({s for _, s in results})
    if reference not in labels:
        return pd.DataFrame(columns=columns)
    held = held_out_split(table)
    thresholds = table[(table.metric == "threshold") & (table.split == held)].set_index(["method", "seed"]).value
    # Every run must have scored the same held-out images. Each run scores as much of the population as its
    # own rates need (fairgap.train.record_population): compare on the examples every run scored (within a
    # group and label every example has the same weight, so TPR and AUC per group need none).
    parts = _shared_examples({key: result.scores[held] for key, result in results.items()})
    first = parts[(reference, seeds[0])]
    target, group = first["target"], first["group"]
    for part in parts.values():
        if not np.array_equal(part["target"], target):
            raise ValueError(f"The runs were evaluated on different {held} sets (generated data drawn per seed and no "
                             "population); give the runs a population (RunConfig.population > 0) or fix the data "
                             "with data_seed.")
    group_labels = results[(reference, seeds[0])].info["group_labels"]
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(group == g) for g in range(len(group_labels))]
    boots = [[rng.choice(m, size=len(m), replace=True) for _ in range(n_boot)] for m in members]

    def stat(label, g, index, metric, common):
        values = []
        for s in common:
            scores = parts[(label, s)]["score"][index]
            if metric == "AUC":
                values.append(_auc(target[index], scores))
            else:
                values.append(_tpr(target[index], scores >= thresholds[(label, s)]))
        return float(np.mean(values))

    per_seed = table[(table.split == held) & table.metric.isin(["auc", "tpr"])]
    rows = []
    for label in labels:
        if label == reference:
            continue
        common = [s for s in seeds if (label, s) in results and (reference, s) in results]  # paired by seed
        for g, name in enumerate(group_labels):
            for metric in ("AUC", "TPR"):
                ref, value = stat(reference, g, members[g], metric, common), stat(label, g, members[g], metric, common)
                draws = np.array([stat(label, g, b, metric, common) - stat(reference, g, b, metric, common)
                                  for b in boots[g]])
                draws = draws[np.isfinite(draws)]
                low, high = (np.percentile(draws, [2.5, 97.5]) if draws.size else (np.nan, np.nan))
                mine = per_seed[(per_seed.group == name) & (per_seed.metric == metric.lower())]
                differences = paired(mine, "method", label, reference)
                seed_low, seed_high = t_interval(differences)
                rows.append({"method": label, "group": name, "metric": metric, "change": value - ref,
                             "low": float(low), "high": float(high), "seed_low": seed_low, "seed_high": seed_high,
                             "seeds": int(differences.notna().sum()), "reference_value": ref, "value": value})
    return pd.DataFrame(rows, columns=columns)


def _shared_examples(parts: dict) -> dict:
    """Each run's scores of one split restricted to the population positions (``index``) every run scored;
    returned as they are where the split has no positions (a test split)."""
    if not all("index" in part for part in parts.values()):
        return parts
    common = functools.reduce(np.intersect1d, (part["index"] for part in parts.values()))
    return {key: {name: values[np.isin(part["index"], common)] for name, values in part.items()}
            for key, part in parts.items()}


def sampling_halfwidth(results: dict[tuple[str, int], RunResult], confidence: float = 0.95) -> dict[str, float]:
    """Per group: the largest half-width of a 95% interval of a test TPR from test-set sampling alone
    (at TPR = 0.5, over the group's test patients with the finding; ``evidence.rate_halfwidth``)."""
    first = next(iter(results.values()))
    test = first.scores["test"]
    return {name: rate_halfwidth(int(((test["group"] == g) & (test["target"] == 1)).sum()), confidence=confidence)
            for g, name in enumerate(first.info["group_labels"])}


@dataclass
class Scored:
    """What notebook 06 draws from its runs: ``score_table``'s rows (``table``), ``consequences``' rows
    (``changes``) and ``sampling_halfwidth``'s (``halfwidths``)."""
    table: pd.DataFrame
    changes: pd.DataFrame
    halfwidths: dict[str, float]


def scored_runs(configs: dict[tuple[str, int], RunConfig], threshold_rule: str = "tpr", target_tpr: float = 0.8,
                reference: str = "ERM", profile: str = "default", results: str = "train", progress: bool = True,
                executor: str = "auto") -> Scored:
    """Train (or load) ``configs`` (``train_methods``) and score them: ``Scored``, whose three tables are kept
    beside the profile's figures (``fairgap.committed``). ``results="committed"``: those tables read back; nothing
    trains."""
    from ..committed import COMMITTED, check_results, keep, load

    if check_results(results) == COMMITTED:
        widths = load(NOTEBOOK, "sampling", profile)
        return Scored(load(NOTEBOOK, profile=profile), load(NOTEBOOK, "changes", profile),
                      dict(zip(widths.group, widths.halfwidth)))
    runs = train_methods(configs, progress=progress, executor=executor)
    table = score_table(runs, threshold_rule=threshold_rule, target_tpr=target_tpr)
    scored = Scored(table, consequences(runs, table, reference=reference), sampling_halfwidth(runs))
    keep(scored.table, NOTEBOOK, profile=profile)
    keep(scored.changes, NOTEBOOK, "changes", profile)
    keep(pd.DataFrame({"group": list(scored.halfwidths), "halfwidth": list(scored.halfwidths.values())}),
         NOTEBOOK, "sampling", profile)
    return scored


def collapsed_runs(table: pd.DataFrame) -> list[str]:
    """'method (seed s, split)' for every evaluation where all predictions fell on one side of the threshold."""
    rows = table[(table.metric == "collapsed") & (table.value > 0)]
    return [f"{r.method} (seed {r.seed}, {r.split})" for r in rows.itertuples()]



# --- claims and prose ---

GAP = "equal_opportunity_difference"
INTERPOLATING_AUC = 0.99   # a run whose training AUC reaches this in every group fits its training set


def _per_seed(table: pd.DataFrame, split: str, metric: str, group: str = "all") -> pd.DataFrame:
    rows = table[(table.split == split) & (table.metric == metric) & (table.group == group)]
    return rows[["method", "seed", "value"]]


def auc_change_claim(table: pd.DataFrame, method: str, group: str, reference: str = "ERM"):
    """'<method>: <group>'s <held-out> AUC differs from <reference>'s' — shown when the 95% interval of the
    paired change excludes 0 (either side; the estimate's sign says which)."""
    held = held_out_split(table)
    change = paired(_per_seed(table, held, "auc", group), "method", method, reference)
    direction = "<" if change.mean() < 0 else ">"
    return claim(f"{method}: {group}'s {held} AUC differs from {reference}'s",
                 f"{held} AUC ({group}): {method} − {reference} (same seed)", change, direction=direction)


def medical_claims(table: pd.DataFrame, reference: str = "ERM") -> pd.DataFrame:
    """The claims table of notebook 06:

    * every method: held-out TPR gap − train TPR gap > 0 (the same run and threshold);
    * every method other than ``reference``: its held-out TPR gap − the reference's > −``LITTLE`` (it buys
      little fairness on new patients) and < 0 (it buys some), paired by seed;
    * every method other than ``reference``, per group: held-out AUC − the reference's at the same seed ≠ 0.
    Held out: the population where the runs have one, else the test split.
    """
    methods = list(dict.fromkeys(table.method))
    if reference not in methods:
        raise ValueError(f"No {reference!r} runs among the methods ({', '.join(methods)}); the AUC changes are "
                         "relative to it. Add it to `methods` or set `reference` to one of them.")
    groups = [g for g in dict.fromkeys(table.group) if g != "all"]
    held = held_out_split(table)
    claims = []
    for method in methods:
        mine = pd.concat([_per_seed(table, split, GAP).assign(split=split) for split in (held, "train")])
        gap = paired(mine[mine.method == method], "split", held, "train")
        claims.append(claim(f"{method}: TPR gap larger on {held} than on training patients",
                            f"TPR gap at the validation threshold: {held} − train (same run)", gap))
    for method in methods:
        if method != reference:
            train_gap = _per_seed(table, "train", GAP)
            train_gap = train_gap[train_gap.method == method].set_index("seed").value
            claims.append(claim(f"{method}: meets its constraint on the training set (train TPR gap < {TOLERANCE})",
                                "TPR gap on training patients at the validation threshold, per seed", train_gap, "<",
                                TOLERANCE))
            change = paired(_per_seed(table, held, GAP), "method", method, reference)
            texts = [(f"{method}: {held} TPR gap − {reference}'s > −{LITTLE}",
                      f"TPR gap on {held} patients: {method} − {reference} (same seed); above −{LITTLE} means the "
                      f"method buys less than {LITTLE} of fairness on new patients", ">", -LITTLE),
                     (f"{method}: lower {held} TPR gap than {reference}",
                      f"TPR gap on {held} patients: {method} − {reference} (same seed)", "<", 0.0)]
            if not meets_constraint(train_gap.mean()):
                claims += [untestable(f"{text} (not testable: it misses its constraint on the training set, mean train "
                                      f"TPR gap {train_gap.mean():.3f} > {TOLERANCE})", statistic, direction, null)
                           for text, statistic, direction, null in texts]
            else:
                claims += [claim(text, statistic, change, direction, null) for text, statistic, direction, null in texts]
            claims += [auc_change_claim(table, method, group, reference) for group in groups]
    return claims_table(claims)


def _listing(rows: pd.DataFrame) -> str:
    return "; ".join(f"{row.claim.split(':')[0]} {fmt_claim(row)}" for _, row in rows.iterrows()) or "none"


def findings(table: pd.DataFrame, claims: pd.DataFrame, changes: pd.DataFrame, halfwidth: dict[str, float],
             reference: str = "ERM") -> str:
    """'What you see' in notebook 06, every number from the score table, the claims, ``medical.consequences``
    and ``medical.sampling_halfwidth``."""
    methods = list(dict.fromkeys(table.method))
    groups = [g for g in dict.fromkeys(table.group) if g != "all"]
    held = held_out_split(table)

    def auc(method, split):
        return ", ".join(f"{g} {fmt_mean(_per_seed(table[table.method == method], split, 'auc', g).value)}"
                         for g in groups)

    def gap(method, split):
        return fmt_mean(_per_seed(table[table.method == method], split, GAP).value)

    lines = ["* **Training images.** " + "; ".join(f"{m}: AUC {auc(m, 'train')}, TPR gap {gap(m, 'train')}"
                                                  for m in methods) + "."]
    lines.append("* **Test images.** " + "; ".join(f"{m}: AUC {auc(m, 'test')}, TPR gap {gap(m, 'test')}"
                                                   for m in methods) + ".")
    if held != "test":
        size = int(table[(table.split == held) & (table.metric == "n") & (table.group == "all")].value.max())
        lines.append(f"* **The population ({size:,} fresh patients from the same generator, the same for every seed).** "
                     + "; ".join(f"{m}: AUC {auc(m, held)}, TPR gap {gap(m, held)}" for m in methods) + ".")
    larger = claims[claims.claim.str.endswith(f"TPR gap larger on {held} than on training patients")]
    lines.append(f"* **{held.capitalize()} TPR gap − train TPR gap > 0** (same run and threshold): shown for "
                 f"{_listing(larger[larger.verdict == SHOWN])}. Not shown for {_listing(larger[larger.verdict != SHOWN])}.")
    train_auc = table[(table.split == "train") & (table.metric == "auc") & table.group.isin(groups)]
    lowest = train_auc.groupby(["method", "group"]).value.mean().groupby("method").min()
    fitted = [m for m in methods if lowest.get(m, 0) >= INTERPOLATING_AUC]
    not_fitted = [f"{m} (lowest group training AUC {lowest[m]:.2f})" for m in methods if m not in fitted]
    lines.append(f"* **Which runs fit their training images** (mean training AUC ≥ {INTERPOLATING_AUC} in every "
                 f"group): {', '.join(fitted) or 'none'}; not fitted: {', '.join(not_fitted) or 'none'}.")
    auc_claims = claims[claims.claim.str.contains(f"{held} AUC differs from {reference}'s")]
    raised = auc_claims[(auc_claims.verdict == SHOWN) & (auc_claims.estimate > 0)]
    lowered = auc_claims[(auc_claims.verdict == SHOWN) & (auc_claims.estimate < 0)]
    name = lambda row: row.claim.split(":")[0] + " (" + row.claim.split(": ")[1].split("'s")[0] + ")"  # noqa: E731
    listing = lambda rows: "; ".join(f"{name(r)} {fmt_claim(r)}" for _, r in rows.iterrows()) or "none"  # noqa: E731
    lines.append(f"* **Unintended consequences, {held} AUC vs {reference}** (same seed): raised for {listing(raised)}; "
                 f"lowered for {listing(lowered)}; no change shown for "
                 f"{listing(auc_claims[auc_claims.verdict != SHOWN])}.")
    tpr = changes[changes.metric == "TPR"]
    if len(tpr):
        lines.append(f"* **{held.capitalize()} TPR vs {reference}** at each run's own threshold (mean change, 95% interval "
                     "over seeds): "
                     + "; ".join(f"{r.method} ({r.group}) {fmt(r.change, r.seed_low, r.seed_high)}"
                                 for r in tpr.itertuples()) + ".")
    lines.append("* **Test-set sampling alone** moves a group's test TPR by up to ± "
                 + ", ".join(f"{value:.2f} ({group})" for group, value in halfwidth.items())
                 + f" (95%, at TPR = 0.5, over the group's test patients with the finding); the changes table gives "
                   f"both intervals, over seeds and over {held} patients.")
    lines.append("* " + finite_test_prose(finite_test_error(table, GAP, by=("method", "seed")), "TPR gap"))
    return "\n".join(lines)
