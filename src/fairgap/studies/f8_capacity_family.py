"""Notebook 08: capacity, not family. Does a fairness constraint stop carrying over to test data because a
model *fits its training set*, whatever the model family, or because it is a network?

Each family moves along its own capacity knob, from a model that cannot fit its training set to one that
memorises it, unconstrained and under the same two constraints imposed on the training data:

=====================  ===========================  ==========================================================
family                 capacity knob                constraint (equalized odds "EO", demographic parity "DP")
=====================  ===========================  ==========================================================
logistic regression    inverse regularisation C     fairlearn ExponentiatedGradient (EG)
decision tree          depth (2 ... unrestricted)   EG
random forest          tree depth (fixed trees)     EG
k-nearest neighbours   k (large k: low capacity)    fairlearn ThresholdOptimizer fitted on the training set
                                                    (k-NN takes no sample weights, so EG cannot wrap it)
MLP                    width and training steps     fairgap's gap penalties (the networks' objective), λ = 1
=====================  ===========================  ==========================================================

on UCI Adult (vendored, or your own table) and on the synthetic faces as PCA features (as notebook 00).
Every fit is ``fairgap.classical_fits``' (ModelSpec, fit, evaluate; one cached ``ClassicalFit`` per model,
source and split, scheduled by ``fairgap.sweep.train_pending`` on the executor given: "auto", "sequential",
"processes", "dask" or a Dask scheduler address); this module only lays out the grid (``SCALE``, resolved
by ``scale``), and turns the results into tables, claims and prose. Two more experiments on Adult: fairlearn issue #460 (EG with demographic parity around an
unrestricted decision tree, 70/30 splits) and the gap against the training-set size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import classical_fits
from ..committed import COMMITTED, check_results, keep, load
from ..evidence import claim, mean_and_interval, within

NOTEBOOK = "08_capacity_not_family"
NETWORK_FAMILIES = ("MLP", "CNN")
FAMILY_MODELS = {"logistic regression": "logistic_regression", "decision tree": "decision_tree",
                 "random forest": "random_forest", "k-nearest neighbours": "knn", "MLP": "mlp"}
CONSTRAINTS = ("none", "EO", "DP")
CONSTRAINT_OF = {"EO": "equalized_odds", "DP": "demographic_parity"}
PENALTIES = {"EO": "equalized_odds_max_penalty", "DP": "demographic_parity_penalty"}
# The issue's single 70/30 run (fairlearn #460, reproduced by a maintainer): DP difference and accuracy.
# The unconstrained tree's DP differences are the issue's per-sex selection rates subtracted (0.289 − 0.110,
# 0.288 − 0.119).
ISSUE_460 = {"train DP difference": 0.021, "test DP difference": 0.083, "train accuracy": 0.931,
             "test accuracy": 0.759, "unconstrained train DP difference": 0.179,
             "unconstrained test DP difference": 0.169, "unconstrained train accuracy": 0.980,
             "unconstrained test accuracy": 0.813}
ISSUE_SPLIT = 0.7        # the issue's 70/30 split: what a table too small for the profile's #460 rows gets
MIN_SIZE_ROWS = 50      # the size sweep's smallest training set on a table too small for the profile's sizes
EQUIVALENCE = 0.02      # "adds little": a network effect within ±0.02 of the gap, at equal training accuracy
CARRIES_OVER = 0.02     # a constraint "carries over" where the gap's 95% interval lies below 0.02

# Capacity paths, lowest capacity first: (label, ModelSpec fields). Shared by the default and paper profiles.
PATHS = {
    "logistic regression": [("C=0.001", {"C": 0.001}), ("C=0.1", {"C": 0.1}), ("C=100", {"C": 100.0})],
    # From depth 2: a depth-1 tree predicts one class on Adult (a constant predictor, trivially fair).
    "decision tree": [("depth 2", {"max_depth": 2}), ("depth 4", {"max_depth": 4}), ("depth 8", {"max_depth": 8}),
                      ("depth 16", {"max_depth": 16}), ("unrestricted", {"max_depth": None})],
    "random forest": [("10 × depth 2", {"n_estimators": 10, "max_depth": 2}),
                      ("10 × depth 6", {"n_estimators": 10, "max_depth": 6}),
                      ("10 × unrestricted", {"n_estimators": 10, "max_depth": None})],
    "k-nearest neighbours": [("k=100", {"n_neighbors": 100}), ("k=15", {"n_neighbors": 15}),
                             ("k=1", {"n_neighbors": 1})],
    "MLP": [("width 4, 100 steps", {"width": 4, "steps": 100}), ("width 32, 300 steps", {"width": 32, "steps": 300}),
            ("width 256, 600 steps", {"width": 256, "steps": 600})],
}
SMOKE_PATHS = {
    "logistic regression": [("C=0.01", {"C": 0.01}), ("C=100", {"C": 100.0})],
    "decision tree": [("depth 2", {"max_depth": 2}), ("unrestricted", {"max_depth": None})],
    "random forest": [("5 × depth 2", {"n_estimators": 5, "max_depth": 2}),
                      ("5 × unrestricted", {"n_estimators": 5, "max_depth": None})],
    "k-nearest neighbours": [("k=25", {"n_neighbors": 25}), ("k=1", {"n_neighbors": 1})],
    "MLP": [("width 4, 20 steps", {"width": 4, "steps": 20}), ("width 64, 60 steps", {"width": 64, "steps": 60})],
}
SIZE_MODELS = {"decision tree, depth 2": {"model": "decision_tree", "max_depth": 2},
               "decision tree, unrestricted": {"model": "decision_tree", "max_depth": None}}

SCALE = {
    # smoke: seconds; the numbers mean nothing.
    "smoke": dict(seeds=[0, 1], image_seeds=[0], n_train=300, n_test=1000, image_n_train=200, n_components=16,
                  paths=SMOKE_PATHS, image_paths=SMOKE_PATHS, weight=1.0, eg_max_iter=5, constraints=("none", "DP"),
                  issue460=dict(train_size=600, seeds=[0, 1]),
                  sizes=[150, 300, 600], size_seeds=list(range(4)), size_groups=2, size_n_test=2000),
    # default: 10 random splits of Adult (the primary claims), 5 face subsets; #460 at 70/30 on 10 splits;
    # the size sweep at 50 splits per size (Laakom et al.'s setting), slopes over 10 groups of 5 splits.
    "default": dict(seeds=list(range(10)), image_seeds=list(range(5)), n_train=1000, n_test=8000,
                    image_n_train=1000, n_components=64, paths=PATHS, image_paths=PATHS, weight=1.0, eg_max_iter=50,
                    constraints=CONSTRAINTS, issue460=dict(train_size=0.7, seeds=list(range(10))),
                    sizes=[250, 500, 1000, 2000, 4000, 8000, 16000], size_seeds=list(range(50)), size_groups=10,
                    size_n_test=8000),
    "paper": dict(seeds=list(range(20)), image_seeds=list(range(10)), n_train=1000, n_test=None,
                  image_n_train=1000, n_components=64, paths=PATHS, image_paths=PATHS, weight=1.0, eg_max_iter=50,
                  constraints=CONSTRAINTS, issue460=dict(train_size=0.7, seeds=list(range(20))),
                  sizes=[250, 500, 1000, 2000, 4000, 8000, 16000, 24000], size_seeds=list(range(50)), size_groups=10,
                  size_n_test=8000),
}


def scale(profile: str) -> dict:
    """The profile's scale (``SCALE``): splits, sizes, capacity paths, #460 and size-sweep settings."""
    from ..paths import check_profile, with_seed_offset

    check_profile(profile)
    return with_seed_offset(SCALE[profile])


# --- the grid ---

def method_label(family: str, constraint: str) -> str:
    """How a family is constrained, as the figure and claims name it."""
    if constraint == "none":
        return "unconstrained"
    if family == "k-nearest neighbours":
        return f"ThresholdOptimizer ({constraint})"
    if family in NETWORK_FAMILIES:
        return f"{constraint} penalty"
    return f"EG ({constraint})"


def constraint_fields(family: str, constraint: str, weight: float) -> dict:
    if constraint == "none":
        return {}
    if family == "k-nearest neighbours":
        return {"postprocess": CONSTRAINT_OF[constraint]}
    if family in NETWORK_FAMILIES:
        return {"penalty": PENALTIES[constraint], "weight": weight}
    return {"reduction": CONSTRAINT_OF[constraint]}


def grid(paths: dict, constraints=CONSTRAINTS, weight: float = 1.0, eg_max_iter: int = 50,
         families: list[str] | None = None) -> tuple[dict[str, dict], pd.DataFrame]:
    """Model specs (label -> ModelSpec fields) for every family, capacity step and constraint, and a table
    of what each label is (label, family, network, capacity rank 0 = lowest, capacity label, constraint)."""
    unknown = sorted(set(families or []) - set(FAMILY_MODELS))
    if unknown:
        raise ValueError(f"Unknown famil(ies) {unknown}; valid: {', '.join(FAMILY_MODELS)}.")
    bad = sorted(set(constraints) - set(CONSTRAINTS))
    if bad:
        raise ValueError(f"Unknown constraint(s) {bad}; valid: {', '.join(CONSTRAINTS)}.")
    models, rows = {}, []
    for family, path in paths.items():
        if families is not None and family not in families:
            continue
        for rank, (capacity, fields) in enumerate(path):
            for constraint in constraints:
                label = f"{family} ({capacity}) + {method_label(family, constraint)}"
                spec = {"model": FAMILY_MODELS[family], **fields, **constraint_fields(family, constraint, weight)}
                if "reduction" in spec:
                    spec["max_iter"] = eg_max_iter
                models[label] = spec
                rows.append({"model": label, "family_name": family, "network": family in NETWORK_FAMILIES,
                             "capacity_rank": rank, "capacity": capacity, "constraint_short": constraint,
                             "method": method_label(family, constraint)})
    return models, pd.DataFrame(rows)


def _load(table):
    from ..tabular import Table, load_table

    return table if isinstance(table, Table) else load_table(table)


def capacity_runs(profile: str, table="adult", images: bool = True, seeds: list[int] | None = None,
                  image_seeds: list[int] | None = None, families: list[str] | None = None,
                  constraints=None, executor: str = "auto", workers: int | None = None,
                  results: str = "train", notebook: str = NOTEBOOK) -> pd.DataFrame:
    """Every family along its capacity path, unconstrained and constrained, on the table's random splits
    (``n_train`` rows, ``n_test`` test rows) and on the faces' PCA features: tidy results
    (``fairgap.classical_fits.RESULT_COLUMNS``) joined with what each model is (``grid``'s table).
    ``results``: "train" (fit, or read the cache; keep the table beside the figures) or "committed" (read the
    kept table, ``fairgap.committed``; nothing fits). So do ``issue460_runs`` and ``size_runs``, each keeping its table
    under ``notebook``, the run's key (``fairgap.paths.run_key``: a user's table has its own)."""
    from ..profiles import sweep_executor

    if check_results(results) == COMMITTED:
        return load(notebook, profile=profile)
    settings = scale(profile)
    constraints = tuple(settings["constraints"] if constraints is None else constraints)
    models, meta = grid(settings["paths"], constraints, settings["weight"], settings["eg_max_iter"], families)
    frames = []
    executor = sweep_executor(profile, executor)
    if table is not None:
        table = _load(table)
        n_train, n_test = classical_fits.table_sizes(len(table), settings["n_train"], settings["n_test"], table.name)
        rows = n_train if n_train >= 1 else int(n_train * len(table))
        too_many = [label for label, fields in settings["paths"].get("k-nearest neighbours", [])
                    if fields["n_neighbors"] > rows and (families is None or "k-nearest neighbours" in families)]
        if too_many:
            print(f"k-nearest neighbours: {', '.join(too_many)} ask{'s' if len(too_many) == 1 else ''} for more "
                  f"neighbours than the {rows} training rows; "
                  f"each uses k = {rows} (every training row votes).")
        tasks = [classical_fits.table_task(table, n_train, n_test)]
        seeds = list(settings["seeds"] if seeds is None else seeds)
        frames += classical_fits.run_tasks(tasks, classical_fits.parse_models(models, profile), seeds, executor, workers)
    if images:
        image_models, image_meta = grid(settings["image_paths"], constraints, settings["weight"], settings["eg_max_iter"],
                                        families)
        meta = pd.concat([meta, image_meta]).drop_duplicates("model")
        task = classical_fits.image_task(profile, settings["image_n_train"], settings["n_components"])
        image_seeds = list(settings["image_seeds"] if image_seeds is None else image_seeds)
        frames += classical_fits.run_tasks([task], classical_fits.parse_models(image_models, profile), image_seeds, executor,
                                      workers)
    if not frames:
        raise ValueError("Nothing to run: give a table, or images=True.")
    frame = pd.concat(frames, ignore_index=True).merge(meta, on="model", how="left")
    keep(frame, notebook, profile=profile)
    return frame


def per_split(results: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per source, model and split: train and test value of the disparity the model is constrained on
    (``disparity`` for unconstrained ones), the gap test − train, train and test accuracy, and what the
    model is (family, capacity rank, constraint)."""
    meta_columns = [c for c in ("model", "family_name", "network", "capacity_rank", "capacity", "constraint_short",
                                "method") if c in results.columns]
    wide = classical_fits.targeted_disparity(results, disparity)
    if len(meta_columns) > 1:
        wide = wide.merge(results[meta_columns].drop_duplicates("model"), on="model", how="left")
    return wide


def summary(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per source and model: means, the gap's 95% t-interval over splits, training accuracy, and what it is."""
    table = classical_fits.gap_table(per_run)
    keep = [c for c in ("model", "family_name", "network", "capacity_rank", "capacity", "constraint_short", "method")
            if c in per_run.columns]
    if len(keep) > 1:
        table = table.merge(per_run[keep].drop_duplicates("model"), on="model", how="left")
    return table


# --- claims ---

def within_family_claims(per_run: pd.DataFrame, sources: list[str] | None = None) -> list:
    """Per source, family and constraint: the gap at the family's highest capacity minus at its lowest,
    paired by split (> 0: the gap grows with capacity)."""
    claims = []
    for (source, family, constraint), part in per_run.groupby(["source", "family_name", "constraint_short"],
                                                              sort=False):
        if sources is not None and source not in sources:
            continue
        ranks = part.capacity_rank
        if ranks.nunique() < 2:
            continue
        high = part[ranks == ranks.max()].set_index("seed").gap
        low = part[ranks == ranks.min()].set_index("seed").gap
        what = "unconstrained" if constraint == "none" else f"{constraint} constraint"
        claims.append(claim(f"{source}: {family}, {what}: gap at the highest capacity − at the lowest",
                            "difference of test − train gaps (highest − lowest capacity), paired by split",
                            (high - low).dropna(), ">"))
    return claims


def fit_regression(part: pd.DataFrame) -> dict:
    """OLS of the gap on training accuracy, a network indicator and a DP-constraint indicator (constrained
    runs of one split): {"slope": per unit of training accuracy, "network": the network's shift}; NaN where
    a covariate does not vary."""
    columns = [np.ones(len(part)), part.train_accuracy.to_numpy(float)]
    names = ["intercept", "slope"]
    for name, values in (("network", part.network.astype(float)), ("dp", (part.constraint_short == "DP").astype(float))):
        if values.nunique() > 1:
            columns.append(values.to_numpy())
            names.append(name)
    x = np.column_stack(columns)
    if len(part) <= x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
        return {"slope": float("nan"), "network": float("nan")}
    coefficients, *_ = np.linalg.lstsq(x, part.gap.to_numpy(float), rcond=None)
    fitted = dict(zip(names, coefficients))
    return {"slope": float(fitted["slope"]), "network": float(fitted.get("network", float("nan")))}


def regression_by_split(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per source and split, ``fit_regression`` over that split's constrained runs."""
    rows = []
    constrained = per_run[per_run.constraint_short != "none"]
    for (source, seed), part in constrained.groupby(["source", "seed"], sort=False):
        rows.append({"source": source, "seed": seed, **fit_regression(part)})
    return pd.DataFrame(rows, columns=["source", "seed", "slope", "network"])


def across_family_claims(per_run: pd.DataFrame) -> list:
    """Per source, from one regression per split over the constrained runs (see fit_regression): the gap
    rises with training accuracy (slope > 0); being a network changes it by less than ±0.02 at equal training
    accuracy (an equivalence claim: two one-sided tests, shown when the 95% interval lies inside ±0.02); and,
    which way it goes, the network's shift is below 0 and above 0 (two one-sided claims: what the estimate
    shows when the equivalence is not shown)."""
    claims = []
    for source, part in regression_by_split(per_run).groupby("source", sort=False):
        slopes = part.set_index("seed").slope
        networks = part.set_index("seed").network
        statistic = "network coefficient of the same regression"
        claims.append(claim(f"{source}: the gap rises with training accuracy (network and constraint held fixed)",
                            "slope of the test − train gap per unit of training accuracy, constrained runs, OLS per "
                            "split", slopes, ">"))
        claims.append(within(f"{source}: being a network changes the gap by less than ±{EQUIVALENCE} at equal "
                             "training accuracy (two one-sided tests)", statistic, networks, EQUIVALENCE))
        claims.append(claim(f"{source}: at equal training accuracy the network's gap is smaller", statistic,
                            networks, "<"))
        claims.append(claim(f"{source}: at equal training accuracy the network's gap is larger", statistic,
                            networks, ">"))
    return claims


# --- fairlearn #460 ---

ISSUE_MODELS = {"decision tree (unrestricted)": {"model": "decision_tree", "max_depth": None},
                "decision tree (unrestricted) + EG (DP)": {"model": "decision_tree", "max_depth": None,
                                                           "reduction": "demographic_parity"}}


def issue460_runs(profile: str, table="adult", seeds: list[int] | None = None, executor: str = "auto",
                  workers: int | None = None, results: str = "train", notebook: str = NOTEBOOK) -> pd.DataFrame:
    """fairlearn #460: an unrestricted decision tree, alone and inside ExponentiatedGradient with
    DemographicParity, on stratified random 70/30 splits of the table (the issue's split)."""
    from ..profiles import sweep_executor

    if check_results(results) == COMMITTED:
        return load(notebook, "issue460_runs", profile)
    settings = scale(profile)["issue460"]
    table = _load(table)
    seeds = list(settings["seeds"] if seeds is None else seeds)
    models = {label: {**spec, "max_iter": scale(profile)["eg_max_iter"]} if "reduction" in spec else spec
              for label, spec in ISSUE_MODELS.items()}
    train_size = issue460_size(profile, len(table))
    if train_size != settings["train_size"]:
        print(f"fairlearn #460: {table.name} has {len(table)} rows, too few for the profile's {settings['train_size']} "
              f"training rows; its splits are the issue's {round(ISSUE_SPLIT * 100)}/{round(100 - ISSUE_SPLIT * 100)} "
              f"instead (training on {classical_fits.rows_said(table, train_size)} rows).")
    task = classical_fits.table_task(table, train_size, None)
    frames = classical_fits.run_tasks([task], classical_fits.parse_models(models, profile), seeds,
                                 sweep_executor(profile, executor), workers)
    frame = pd.concat(frames, ignore_index=True)
    keep(frame, notebook, "issue460_runs", profile)
    return frame


def issue460_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per model: mean train and test DP difference and accuracy over splits with 95% t-intervals, beside
    the issue's single run."""
    rows = results[results.group == "all"]
    out = []
    for model, part in rows.groupby("model", sort=False):
        row = {"model": model, "n": part.seed.nunique(), "n_train": int(part.n_train.iloc[0])}
        for metric, short in (("demographic_parity_difference", "DP difference"), ("accuracy", "accuracy")):
            for split in ("train", "test"):
                mean, low, high, _ = mean_and_interval(part[(part.metric == metric) & (part.split == split)].value)
                row[f"{split} {short}"], row[f"{split} {short} low"], row[f"{split} {short} high"] = mean, low, high
        prefix = "" if "EG" in model else "unconstrained "
        for name in ("train DP difference", "test DP difference", "train accuracy", "test accuracy"):
            row[f"issue: {name}"] = ISSUE_460[prefix + name]
        out.append(row)
    return pd.DataFrame(out)


def issue460_claims(results: pd.DataFrame, source_label: str = "adult 70/30") -> list:
    per = classical_fits.targeted_disparity(results, "demographic_parity_difference")
    constrained = per[per.constraint != "none"]
    return [claim(f"{source_label}: {model} is less fair on test than on train (fairlearn #460)",
                  "test − train demographic parity difference", part.set_index("seed").gap, ">")
            for model, part in constrained.groupby("model", sort=False)]


def carry_over(summary_table: pd.DataFrame, source: str, family: str = "decision tree",
               constraint: str = "DP") -> pd.DataFrame:
    """Along one family's capacity path under one constraint: the gap with its interval, training accuracy,
    and whether the constraint carries over (the gap's 95% upper end below CARRIES_OVER)."""
    mine = summary_table[(summary_table.source == source) & (summary_table.family_name == family)
                         & (summary_table.constraint_short == constraint)].sort_values("capacity_rank")
    table = mine[["capacity", "capacity_rank", "train", "test", "gap", "gap_low", "gap_high", "train_accuracy",
                  "test_accuracy", "n"]].copy()
    table["carries_over"] = table.gap_high < CARRIES_OVER
    return table.reset_index(drop=True)


def deepest_carrying(path: pd.DataFrame) -> str | None:
    """The highest capacity at which the constraint carries over, when every lower capacity does too."""
    last = None
    for _, row in path.iterrows():
        if not row.carries_over:
            break
        last = row.capacity
    return last


# --- the gap against the training-set size ---

def size_runs(profile: str, table="adult", sizes: list[int] | None = None, seeds: list[int] | None = None,
              models: dict | None = None, executor: str = "auto", workers: int | None = None,
              results: str = "train", notebook: str = NOTEBOOK) -> pd.DataFrame:
    """A low- and a high-capacity model (``SIZE_MODELS``) on random splits at each training-set size
    (``size_n_test`` test rows each), as Laakom et al. (arXiv 2506.07861): 50 splits per size by default."""
    from ..profiles import sweep_executor

    if check_results(results) == COMMITTED:
        return load(notebook, "size_runs", profile)
    settings = scale(profile)
    table = _load(table)
    seeds = list(settings["size_seeds"] if seeds is None else seeds)
    sizes, n_test = size_plan(profile, table, sizes)
    rows = len(table)
    too_big = [n for n in sizes if n + n_test > rows]
    if too_big:
        raise ValueError(f"Training sizes {too_big} leave fewer than {n_test} test rows of the {rows} in "
                         f"{table.name!r}; choose sizes up to {rows - n_test}.")
    tasks = [classical_fits.table_task(table, n, n_test) for n in sizes]
    frames = classical_fits.run_tasks(tasks, classical_fits.parse_models(models or SIZE_MODELS, profile), seeds,
                                 sweep_executor(profile, executor), workers)
    frame = pd.concat(frames, ignore_index=True)
    keep(frame, notebook, "size_runs", profile)
    return frame


class TooSmall(ValueError):
    """A section of the notebook that the table has too few rows for (the message says why)."""


def size_plan(profile: str, table, sizes: list[int] | None = None, say: bool = True) -> tuple[list[int], int]:
    """The size sweep's training sizes and test rows on ``table``: the profile's sizes that the table holds with
    the profile's test rows (a third of the table at most); on a table that holds fewer than two of them, two
    sizes between ``MIN_SIZE_ROWS`` (or enough rows for about 2 of the rarest group × target cell) and half of
    what the test rows leave, printed. TooSmall (saying why) when no two such sizes fit."""
    settings = scale(profile)
    rows = len(table)
    n_test = min(settings["size_n_test"], rows // 3)   # a smaller table of your own keeps two thirds for training
    if sizes is None:   # the profile's sizes that the table holds (at least two)
        sizes = [n for n in settings["sizes"] if n + n_test <= rows] or []
        if len(sizes) < 2:
            rarest = classical_fits.rarest_cell(table)
            smallest = max(MIN_SIZE_ROWS, int(np.ceil(2 * rows / max(rarest, 1))))
            largest = (rows - n_test) // 2
            if largest <= smallest:
                enough = next(r for r in range(rows, 100 * rows + 1000)
                              if (r - min(settings["size_n_test"], r // 3)) // 2 > smallest)
                raise TooSmall(f"{table.name} has {rows} rows (the rarest group × target cell has {rarest}); the sweep "
                               f"over training-set sizes keeps {n_test} for testing and needs two training sizes from "
                               f"{smallest} rows (about 2 of the rarest cell each) up to half of the other "
                               f"{rows - n_test} ({largest}): a table of at least {enough} rows, or more rows of the "
                               f"rarest cell")
            sizes = sorted({max(smallest, (rows - n_test) // 8), largest})
            if say:
                print(f"Training-set sizes: {table.name} has {rows} rows, too few for two of the profile's sizes "
                      f"{settings['sizes']} with {settings['size_n_test']} test rows; the sweep uses {sizes} with "
                      f"{n_test} test rows instead.")
    return list(sizes), n_test


def size_skipped(profile: str, table, sizes: list[int] | None = None) -> str | None:
    """Why the size sweep cannot run on ``table`` (printed), or None when it can (see size_plan)."""
    try:
        size_plan(profile, _load(table), sizes, say=False)
    except TooSmall as reason:
        print(f"Skipped: {reason}.")
        return str(reason)
    return None


def size_gaps(results: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per model, size and split: the gap test − train and its absolute value (the fairness generalisation
    error, |test − train|, the quantity whose rate in n is at stake)."""
    per = classical_fits.targeted_disparity(results, disparity)
    return per.assign(abs_gap=per.gap.abs())[["model", "n_train", "seed", "train", "test", "gap", "abs_gap",
                                              "train_accuracy", "test_accuracy"]]


def size_summary(gaps: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (model, n), part in gaps.groupby(["model", "n_train"], sort=False):
        mean, low, high, count = mean_and_interval(part.abs_gap)
        rows.append({"model": model, "n_train": n, "abs_gap": mean, "abs_gap_low": low, "abs_gap_high": high,
                     "gap": part.gap.mean(), "train_accuracy": part.train_accuracy.mean(), "n": count})
    return pd.DataFrame(rows)


def loglog_slope(n_train, values) -> float:
    """The least-squares slope of log(values) on log(n_train) (positive values only)."""
    n, v = np.asarray(n_train, float), np.asarray(values, float)
    keep = (v > 0) & np.isfinite(v)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(n[keep]), np.log(v[keep]), 1)[0])


def size_slopes(gaps: pd.DataFrame, groups: int) -> pd.DataFrame:
    """Per model and group of splits (the splits dealt into ``groups`` groups by seed): the log-log slope
    of the group's mean |gap| on the training-set size. Averaging within a group first keeps the logs
    away from a single split's zero; the groups are the independent units of the slope's interval."""
    rows = []
    for model, part in gaps.groupby("model", sort=False):
        seeds = np.sort(part.seed.unique())
        for index in range(min(groups, len(seeds))):
            mine = part[part.seed.isin(seeds[index::groups])]
            means = mine.groupby("n_train").abs_gap.mean()
            rows.append({"model": model, "group": index, "slope": loglog_slope(means.index, means.to_numpy())})
    return pd.DataFrame(rows, columns=["model", "group", "slope"])


def size_claims(slopes: pd.DataFrame | None, source: str = "adult", skipped: str | None = None) -> list:
    """Per model: the |gap| shrinks with n (slope < 0), and more slowly than 1/√n (slope > −1/2); "not testable"
    rows, with the reason, when the sweep was ``skipped`` (see size_skipped)."""
    from ..evidence import untestable

    statistic = "log-log slope of mean |gap| on n, per group of splits"
    if skipped is not None:
        return [untestable(f"{source}: {model}: {text} (not testable: {skipped})", statistic, direction, null)
                for model in SIZE_MODELS for text, direction, null in (
                    ("the |train − test gap| shrinks with the training-set size", "<", 0.0),
                    ("the |gap| shrinks more slowly than 1/√n", ">", -0.5))]
    claims = []
    for model, part in slopes.groupby("model", sort=False):
        values = part.set_index("group").slope
        claims.append(claim(f"{source}: {model}: the |train − test gap| shrinks with the training-set size",
                            "log-log slope of mean |gap| on n, per group of splits", values, "<"))
        claims.append(claim(f"{source}: {model}: the |gap| shrinks more slowly than 1/√n",
                            "log-log slope of mean |gap| on n, per group of splits", values, ">", -0.5))
    return claims


# --- prose (from the saved, Holm-adjusted claims table) ---

def _row(claims: pd.DataFrame, prefix: str):
    rows = claims[claims.claim.str.startswith(prefix)]
    return rows.iloc[0] if len(rows) else None


def _said(row) -> str:
    from ..evidence import fmt_claim

    return "not tested (no runs)" if row is None else fmt_claim(row)


def _span(values) -> str:
    low, high = float(np.min(values)), float(np.max(values))
    return f"{low:.3f}" if f"{low:.3f}" == f"{high:.3f}" else f"{low:.3f} to {high:.3f}"


def issue460_size(profile: str, rows: int | None = None):
    """The #460 splits' training rows: the profile's (a share, or a count), or the issue's 70/30 where a table of
    ``rows`` rows is too small for the profile's count (more than 80% of it)."""
    size = scale(profile)["issue460"]["train_size"]
    return ISSUE_SPLIT if rows is not None and size >= 1 and size > 0.8 * rows else size


def issue460_label(profile: str, source: str, rows: int | None = None) -> str:
    """How the #460 splits are named in claims: "adult 70/30" (or the profile's training rows); ``rows``: the
    table's, when it may be too small for the profile's count (see issue460_size)."""
    size = issue460_size(profile, rows)
    return f"{source} {round(size * 100)}/{round(100 - size * 100)}" if size < 1 else f"{source} {size} rows"


def capacity_markdown(claims: pd.DataFrame, summary_table: pd.DataFrame, source: str) -> str:
    """What the capacity figure shows for one source, in numbers from the claims table and the summary."""
    from ..evidence import fmt, text

    lines = [f"**{text(source)}.**"]
    constrained = summary_table[(summary_table.source == source) & (summary_table.constraint_short != "none")]
    for family, part in constrained.groupby("family_name", sort=False):
        low = part[part.capacity_rank == part.capacity_rank.min()]
        high = part[part.capacity_rank == part.capacity_rank.max()]
        lines.append(f"* {text(family)}: at {text(low.capacity.iloc[0])} the constrained models' gap is "
                     f"{_span(low.gap)} at "
                     f"training accuracy {low.train_accuracy.mean():.3f}; at {text(high.capacity.iloc[0])} it is "
                     f"{_span(high.gap)} at training accuracy {high.train_accuracy.mean():.3f}.")
    mine = summary_table[summary_table.source == source]
    collapsed = mine[mine.collapsed_share > 0]
    lines.append("* Constant predictors (trivially fair, so their gap says nothing): "
                 + ("; ".join(f"{text(r.model)} in {r.collapsed_share:.0%} of splits" for _, r in collapsed.iterrows())
                    if len(collapsed) else "none") + ".")
    within = claims[claims.claim.str.startswith(f"{source}: ") & claims.claim.str.contains("gap at the highest capacity")]
    shown = within[within.verdict == "shown"]
    lines.append("")
    lines.append(f"Within a family, the gap at the highest capacity exceeds the gap at the lowest (paired by split) "
                 f"for {len(shown)} of {len(within)} family × constraint paths"
                 + (": " + "; ".join(f"{text(r.claim.split(': ', 1)[1].split(':')[0])} "
                                     f"{fmt(r.estimate, r.lower, r.upper, 3)}" for _, r in shown.iterrows())
                    if len(shown) else "") + ".")
    slope = _row(claims, f"{source}: the gap rises with training accuracy")
    same = _row(claims, f"{source}: being a network changes the gap")
    smaller = _row(claims, f"{source}: at equal training accuracy the network's gap is smaller")
    larger = _row(claims, f"{source}: at equal training accuracy the network's gap is larger")
    if slope is not None:
        lines.append("")
        lines.append(f"Across families (one regression per split of the constrained runs' gap on training accuracy, "
                     f"with a network indicator and the constraint as covariates): the slope per unit of training "
                     f"accuracy is {_said(slope)}; the network's shift at equal training accuracy is "
                     f"{_said(same)} against ±{EQUIVALENCE}. " + equivalence_sentence(same, smaller, larger))
    return "\n".join(lines)


def equivalence_sentence(same, smaller, larger) -> str:
    """What the equivalence claim and the two one-sided claims beside it allow, in words."""
    if same is None:
        return "No network ran on this source, so the family question is not tested here."
    if same.verdict == "shown":
        return (f"Equivalence is shown: once training fit is accounted for, being a network changes the gap by less "
                f"than {EQUIVALENCE} either way; on these runs, the family adds little.")
    if smaller is not None and smaller.verdict == "shown":
        return (f"Equivalence within ±{EQUIVALENCE} is not shown, and the network's shift is below 0: at equal "
                f"training accuracy the network keeps its constraint better than the classical models do (its gap is "
                f"the smaller one); the family matters here, but not in the direction of the paper's contrast.")
    if larger is not None and larger.verdict == "shown":
        return (f"Equivalence within ±{EQUIVALENCE} is not shown, and the network's shift is above 0: at equal "
                "training accuracy the network loses its constraint more than the classical models do.")
    return (f"Neither equivalence within ±{EQUIVALENCE} nor a shift either way is shown: these splits cannot tell "
            "whether the family matters.")


def issue460_markdown(table: pd.DataFrame, claims: pd.DataFrame, path: pd.DataFrame, path_source: str) -> str:
    from ..evidence import fmt, text

    lines = []
    for _, row in table.iterrows():
        issue = f" (the issue: {row['issue: train DP difference']:.3f} and {row['issue: test DP difference']:.3f})"
        lines.append(f"* {text(row.model)}, {row.n} splits of {row.n_train} training rows: DP difference "
                     f"{fmt(row['train DP difference'], row['train DP difference low'], row['train DP difference high'], 3)} "
                     f"on train and {fmt(row['test DP difference'], row['test DP difference low'], row['test DP difference high'], 3)} "
                     f"on test{issue}; accuracy {row['train accuracy']:.3f} on train and {row['test accuracy']:.3f} on "
                     f"test (the issue: {row['issue: train accuracy']:.3f} and {row['issue: test accuracy']:.3f}).")
    gap = claims[claims.claim.str.contains("fairlearn #460")]
    for _, row in gap.iterrows():
        lines.append(f"* {text(row.claim)}: {_said(row)}.")
    deepest = deepest_carrying(path)
    lines.append("")
    if len(path):
        where = ("at no depth tried" if deepest is None else f"up to {deepest} (training accuracy "
                 f"{float(path[path.capacity == deepest].train_accuracy.iloc[0]):.3f})")
        lines.append(f"Along the tree's depth under EG (DP) ({text(path_source)}, {int(path.n.max())} splits), the "
                     f"constraint "
                     f"carries over (the gap's 95% interval below {CARRIES_OVER}) {where}; gap per depth: "
                     + "; ".join(f"{text(r.capacity)} {fmt(r.gap, r.gap_low, r.gap_high, 3)}"
                                 for _, r in path.iterrows())
                     + ".")
    return "\n".join(lines)


def size_markdown(summary_table: pd.DataFrame | None, claims: pd.DataFrame, slopes: pd.DataFrame | None,
                  source: str = "adult", skipped: str | None = None) -> str:
    from ..evidence import fmt_mean, text

    if skipped is not None:
        return f"Not run: {text(skipped)}."
    lines = []
    for model, part in summary_table.groupby("model", sort=False):
        first, last = part.sort_values("n_train").iloc[[0, -1]].itertuples()
        shrink = _row(claims, f"{source}: {model}: the |train − test gap| shrinks")
        slower = _row(claims, f"{source}: {model}: the |gap| shrinks more slowly")
        lines.append(f"* {text(model)}: mean |gap| {first.abs_gap:.3f} at {first.n_train} training rows, "
                     f"{last.abs_gap:.3f} "
                     f"at {last.n_train} ({int(part.n.min())} splits per size); log-log slope "
                     f"{fmt_mean(slopes[slopes.model == model].slope)} (1/√n: −0.5); shrinks: {_said(shrink)}; more "
                     f"slowly than 1/√n: {_said(slower)}.")
    return "\n".join(lines)
