"""Notebook 07: remedies. The constrained method with each remedy, its control, ERM and post-processing, over
the sweeps' seeds (``scale``): ``remedy_specs``, ``compare_remedies`` (the runs), and the claims and prose.

Claims: does each remedy lower the held-out disparity of the constrained method, and at
what held-out accuracy; does post-processing lower ERM's?

Generalisation is measured on ``held_out_split``: the generator's population where the data are
generated, the test split where they are real; claim texts name it ("population disparity", "test
accuracy"). Every comparison is paired by seed: the two runs share the seed, hence the generated data
(``data_seed`` None), the split, the initialisation and the batch order. What each comparison controls for:

* **remedy − constrained**: the remedy alone, everything else equal. The remedies of
  ``USES_VALIDATION`` also learn from the validation labels, which the constrained run never sees.
* **held-out remedy − control** (``CONTROL``: the constrained method trained on train + validation):
  both learn from the same labelled examples, so a difference comes from how the remedy uses the
  validation split (selecting an epoch, penalising, re-training the head), not from having more data.
* **control − constrained**: what the validation labels alone buy the constrained method.
* **post-processing − ERM**: the thresholds alone, on the very network (and scores) they are fitted on.
* **post-processing − control**: two ways of spending the same train + validation labels on fairness
  (an ERM network with thresholds fitted on validation, or the constraint trained on all of them); it
  controls for the data, not for the training (ERM against constrained training).
"""

from __future__ import annotations

import pandas as pd

from ..committed import COMMITTED, check_results, keep, load
from ..evidence import SHOWN, claim, claims_table, fmt, fmt_claim, paired
from ..generalisation import POPULATION, TEST, finite_test_error, finite_test_prose, held_out_name, held_out_split
from ..metrics import check_disparity
from ..profiles import dataset_overrides, sweep_base, sweep_executor, sweep_scale
from ..remedies import CONTROL, POSTPROCESSED, USES_VALIDATION
from ..sweep import final_epoch, final_metric, plan, remedy_runs, remedy_summary, run_sweep
from ..train import data_seed_of

NOTEBOOK = "07_remedies"


def scale(profile: str) -> dict:
    """Notebook 07's scale: the sweeps' seeds and primary seeds (``fairgap.profiles.SWEEP_SCALE``); it sweeps
    no axis of its own."""
    return sweep_scale(profile)


# Remedies that a table's rows cannot take, and why: notebook 07 runs them on images only and shows them on a table as
# not applicable, in its summary and its figure (``fairgap.plots.f7_remedies.remedies``), not left out in silence.
NOT_ON_TABLE = {"+ augmentation": "random shifts and flips of images: a table's rows have no pixels"}
NOT_APPLICABLE = "not applicable on a table"


def not_applicable(dataset: str | None) -> dict[str, str]:
    """The remedies of ``remedy_specs`` that do not run on ``dataset`` (label: why); none on images."""
    return dict(NOT_ON_TABLE) if dataset == "table" else {}


def not_applicable_prose(dataset: str | None) -> str:
    """One sentence per remedy that does not apply to ``dataset`` ("" on images)."""
    return " ".join(f"**{label}**: {NOT_APPLICABLE} ({why}); it is not run and has no claim."
                    for label, why in not_applicable(dataset).items())


def remedy_specs(constrained: dict, smaller_width: float, table: bool = False) -> dict[str, dict]:
    """ERM, the plain constrained method, its control trained on train + validation, and the
    constrained method with each remedy.

    Last-layer re-training starts from an ERM backbone and trains a fresh head with the
    constrained objective on the validation split (the backbone never sees a fairness term).
    The remedies of ``fairgap.remedies.USES_VALIDATION`` learn from the validation split, which the plain constrained
    run never sees; ``CONTROL`` trains the constrained method on train + validation, so a remedy
    that beats it does so by how it uses those labels, not by having more of them.
    """
    c = dict(constrained)
    params = {k: v for k, v in c.items() if k not in ("warmup_epochs",)}
    specs = {
        "ERM": {"method": "erm"},
        "constrained": c,
        CONTROL: {**c, "train_on": "train+val"},
        "+ early stopping on val disparity": {**c, "early_stopping": True, "eval_every": 5},  # candidates every 5 epochs
        "+ weight decay": {**c, "weight_decay": 0.3},
        "+ augmentation": {**c, "augment": True},
        "+ flooding": {**c, "flood_level": 0.2},
        "+ fairness term on held-out data": {**c, "fairness_data": "val"},
        "+ smaller model": {**c, "width": smaller_width},
        "last-layer retraining on held-out data": {"method": "erm", "last_layer": {**params, "epochs": 40}},
    }
    return {label: spec for label, spec in specs.items() if not (table and label in NOT_ON_TABLE)}


def compare_remedies(profile: str, constrained: dict, seeds: list[int] | None = None,
                     smaller_width: float | None = None,
                     executor: str = "auto", dataset: str | None = None, data: dict | None = None,
                     primary_seeds: list[int] | None = None, results: str = "train", notebook: str = NOTEBOOK,
                     **overrides) -> pd.DataFrame:
    """F7's data: every remedy of ``remedy_specs`` over ``seeds`` (None: the profile's), plus fairlearn's ThresholdOptimizer
    fitted on the validation scores of each ERM run (equalized odds) and applied to its other scored
    splits: train, test and, for generated data, the population. One tidy table with a ``label``.
    ``dataset`` None: the profile's; ``data`` merges over the profile's dataset options.
    ``notebook``: where the table is kept (``fairgap.paths.notebook_key``: the notebook's own name, or with
    the table's name on a table) and whose primary settings get ``primary_seeds``."""
    from ..claims.primary import seeds_for
    from ..postprocess import postprocessed_metrics
    from ..train import load_cached

    if check_results(results) == COMMITTED:  # the kept table (fairgap.committed), no training
        return load(notebook, profile=profile)
    base = sweep_base(profile, **dataset_overrides(dataset, data), **overrides)
    smaller_width = smaller_width or base.width / 4
    seeds = scale(profile)["seeds"] if seeds is None else seeds
    primary_seeds = scale(profile)["primary_seeds"] if primary_seeds is None else primary_seeds
    specs = [{"label": label, **spec, "seeds": seeds_for(notebook, spec, seeds, primary_seeds)}
             for label, spec in remedy_specs(constrained, smaller_width, table=base.dataset == "table").items()]
    runs = plan(base, specs, seeds)
    table = run_sweep(runs, executor=sweep_executor(profile, executor), progress=profile != "smoke")
    post = []
    for r in runs:
        if r.labels["label"] != "ERM":
            continue
        result = load_cached(r.config)
        epoch = int(final_epoch(table[table.run == r.config.key()]).epoch.iloc[0])
        rows = pd.DataFrame(postprocessed_metrics(result.scores, "val", result.info["group_labels"],
                                                  seed=r.config.seed))
        post.append(rows.assign(epoch=epoch, label=POSTPROCESSED, method="erm", seed=r.config.seed,
                                data_seed=data_seed_of(r.config),
                                run=f"{r.config.key()}-postprocessed", parameters=result.info["parameters"],
                                n_train=result.info["n_train"]))
    table = pd.concat([table, *post], ignore_index=True)
    keep(table, notebook, profile=profile)
    return table


# --- claims and prose ---

CONSTRAINED, REFERENCE = "constrained", "ERM"


def per_run(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """One row per run (label, seed): train and held-out ``disparity`` (``held_out_split``), their gap
    held-out − train, and held-out accuracy."""
    check_disparity(disparity)
    split = held_out_split(table)
    rows = final_metric(table, disparity)
    values = rows.pivot_table(index="run", columns="split", values="value")
    accuracy = final_metric(table, "accuracy").pivot_table(index="run", columns="split", values="value")
    runs = rows.drop_duplicates("run").set_index("run")[["label", "seed"]]
    runs = runs.assign(train=values["train"], held_out=values[split], accuracy=accuracy[split])
    return runs.assign(gap=runs.held_out - runs.train).reset_index()


def _versus(runs: pd.DataFrame, label: str, other: str, held: str, disparity: str) -> list:
    """Two claims: ``label`` lowers the held-out disparity of ``other``, and costs it held-out accuracy."""
    name = disparity.replace("_", " ")
    return [claim(f"{label}: lower {held} disparity than {other}", f"{held} {name}: {label} − {other} (same seed)",
                  paired(runs, "label", label, other, value="held_out"), direction="<"),
            claim(f"{label}: lower {held} accuracy than {other}", f"{held} accuracy: {label} − {other} (same seed)",
                  paired(runs, "label", label, other, value="accuracy"), direction="<")]


def remedy_claims(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """The claims table of notebook 07, from ``compare_remedies``' table (held-out: ``held_out_split``):

    * the constrained method's and ERM's held-out − train disparity > 0 (the gap the remedies address);
    * each remedy's (and the control's) held-out disparity − the constrained method's < 0, and its
      held-out accuracy − the constrained method's < 0 (the accuracy it costs), paired by seed;
    * the same two against ``CONTROL`` for each remedy that uses the validation split, post-processing
      included (see the module's docstring for what each comparison controls for);
    * post-processing's held-out disparity and accuracy − ERM's < 0 (it is fitted on ERM's scores).
    """
    runs = per_run(table, disparity)
    held = held_out_name(held_out_split(table))
    labels = list(dict.fromkeys(runs.label))
    for needed in (CONSTRAINED, REFERENCE, CONTROL):
        if needed not in labels:
            raise ValueError(f"The remedies table has no {needed!r} runs (labels: {', '.join(labels)}); "
                             "pass the table compare_remedies returns.")
    name = disparity.replace("_", " ")
    claims = [claim(f"{label}: {held} disparity above train disparity", f"{name}: {held} − train (same run)",
                    runs[runs.label == label].gap) for label in (CONSTRAINED, REFERENCE)]
    for label in labels:
        if label not in (CONSTRAINED, REFERENCE, POSTPROCESSED):
            claims += _versus(runs, label, CONSTRAINED, held, disparity)
        if label in USES_VALIDATION:
            claims += _versus(runs, label, CONTROL, held, disparity)
    if POSTPROCESSED in labels:
        claims += _versus(runs, POSTPROCESSED, REFERENCE, held, disparity)
    return claims_table(claims)


def held_out_summary(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """``fairgap.sweep.remedy_summary`` on the held-out split: per label, means over seeds of the train and
    held-out disparity, their gap, held-out accuracy overall and per group, their 95% intervals over seeds,
    the number of seeds, the Pareto front of the means and whether a remedy's intervals reach it; columns
    are named by the split ("population accuracy", "test equalized_odds_difference ci_low").

    Where the held-out split is the population, the test split's columns are kept beside it ("test …"),
    so that the figure and the table show both."""
    held = held_out_split(table)
    summary = remedy_summary(table, disparity, held)
    if held == TEST:
        return summary
    tested = remedy_summary(table, disparity)
    return summary.join(tested[[c for c in tested.columns if c.startswith(f"{TEST} ")]])


def held_out_per_seed(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """The per-run values ``held_out_summary`` averages (``fairgap.sweep.remedy_runs``), one row per label and
    seed, in its columns' names (the test split's beside the population's where that is the held-out split)."""
    held = held_out_split(table)
    runs = remedy_runs(table, disparity, held)
    if held != TEST:
        tested = remedy_runs(table, disparity)
        runs = runs.join(tested.set_index("run")[[c for c in tested.columns if c.startswith(f"{TEST} ")]], on="run")
    return runs


def finite_test(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> str:
    """How far each run's test-split disparity sits from its population value (``finite_test_error``, ``finite_test_prose``)."""
    return finite_test_prose(finite_test_error(final_epoch(table), disparity), disparity.replace("_", " "))


def _names(rows: pd.DataFrame) -> str:
    """'a 0.05 [...] (n = 5, shown); b ...' for the rows of a claims table, or 'none'."""
    if rows.empty:
        return "none"
    return "; ".join(f"{row.claim.split(':')[0]} {fmt_claim(row)}" for _, row in rows.iterrows())


def _split(rows: pd.DataFrame) -> tuple[str, str]:
    """(shown, not shown) as ``_names`` of the rows."""
    return _names(rows[rows.verdict == SHOWN]), _names(rows[rows.verdict != SHOWN])


def findings(claims: pd.DataFrame, summary: pd.DataFrame, disparity: str = "equalized_odds_difference") -> str:
    """'What you see' in notebook 07, every number from the claims table and ``held_out_summary``."""
    c = claims.set_index("claim")
    s = summary.reset_index().set_index("label") if "label" in summary.reset_index().columns else summary
    if "applicable" in s:  # remedies that did not run (``not_applicable``): said apart, not among the findings
        s = s[s.applicable == "yes"].drop(columns="applicable")
    held = POPULATION if f"{POPULATION} {disparity}" in s.columns else TEST
    x = f"{held} {disparity}"
    plain = s.loc[CONSTRAINED]
    gap = c.loc[f"{CONSTRAINED}: {held} disparity above train disparity"]
    verdict = (f"so the constraint does not carry over to {held} data" if gap.verdict == SHOWN else
               "but over these seeds the interval does not exclude 0, so the gap is not shown")
    lines = [f"* **The plain constrained run** reaches a train disparity of {fmt(plain[f'train {disparity}'])} "
             f"and a {held} disparity of {fmt(plain[x], plain[f'{x} ci_low'], plain[f'{x} ci_high'])}; "
             f"{held} − train is {fmt_claim(gap)}, {verdict}."]
    shown, not_shown = _split(claims[claims.claim.str.endswith(f"lower {held} disparity than {CONSTRAINED}")])
    lines.append(f"* **Lower {held} disparity than the constrained run** (paired by seed; remedy − constrained): "
                 f"shown for {shown}. Not shown (the interval is not entirely below 0, or there is one seed) "
                 f"for {not_shown}.")
    shown, not_shown = _split(claims[claims.claim.str.endswith(f"lower {held} accuracy than {CONSTRAINED}")])
    lines.append(f"* **{held.capitalize()} accuracy they cost** (remedy − constrained): a loss is shown for "
                 f"{shown}; not shown for {not_shown}.")
    control = s.loc[CONTROL]
    shown, not_shown = _split(claims[claims.claim.str.endswith(f"lower {held} disparity than {CONTROL}")])
    cost_shown, cost_not_shown = _split(claims[claims.claim.str.endswith(f"lower {held} accuracy than {CONTROL}")])
    lines.append(f"* **Against the control** (the constrained method trained on train + validation, the labelled "
                 f"data the held-out remedies use): its {held} disparity is "
                 f"{fmt(control[x], control[f'{x} ci_low'], control[f'{x} ci_high'])}, against the constrained run "
                 f"{fmt_claim(c.loc[f'{CONTROL}: lower {held} disparity than {CONSTRAINED}'])}. A held-out remedy "
                 f"with a lower {held} disparity than the control (remedy − control) is shown for {shown}; not shown "
                 f"for {not_shown}. Accuracy lost against the control: shown for {cost_shown}; not shown for "
                 f"{cost_not_shown}.")
    if f"{POSTPROCESSED}: lower {held} disparity than {REFERENCE}" in c.index:
        d = c.loc[f"{POSTPROCESSED}: lower {held} disparity than {REFERENCE}"]
        a = c.loc[f"{POSTPROCESSED}: lower {held} accuracy than {REFERENCE}"]
        lines.append(f"* **Post-processing against the ERM model it is fitted on**: {held} disparity change "
                     f"{fmt_claim(d)}, {held} accuracy change {fmt_claim(a)}.")
    front = list(s.index[s.pareto])
    reach = list(s.index[~s.pareto & s["reaches front"]])
    lines.append(f"* **Pareto front of the means** ({held}): {', '.join(front)}. Off the front but with intervals "
                 f"that reach it (the seeds cannot rule them onto or off it): {', '.join(reach) or 'none'}.")
    return "\n".join(lines)
