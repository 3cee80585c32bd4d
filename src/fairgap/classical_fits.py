"""Classical models and MLPs on fixed features, fitted and scored the same way (notebooks 00 and 08).

Models (one spec each, ``{"model": kind, ...}``):

* ``logistic_regression`` (inverse regularisation ``C``), ``decision_tree`` (``max_depth``, 4 by default,
  None: unrestricted), ``random_forest`` (``n_estimators`` trees of ``max_depth``) (scikit-learn): classical
  learners, unconstrained or wrapped in fairlearn's reductions ``ExponentiatedGradient`` with
  ``reduction="equalized_odds"`` (``EqualizedOdds``) or ``"demographic_parity"`` (``DemographicParity``);
* ``knn`` (k-nearest neighbours, ``n_neighbors``), which takes no sample weights and so cannot be reduced:
  constrained with ``postprocess="equalized_odds"`` or ``"demographic_parity"``, fairlearn's
  ``ThresholdOptimizer`` fitted on the training set (also a constraint imposed on training data; any
  scikit-learn model above accepts it too);
* ``linear`` (a logistic regression in torch) and ``mlp`` (one or more wide ReLU layers) trained with
  ``penalty=<a gap penalty of fairgap.fairness>`` at ``weight`` λ: the very objective the networks of
  notebooks 01-07 use (``make_objective(penalty, {"weight": λ}).train_step``), so the constraint is held
  fixed while the model class changes; no penalty is ERM;
* (notebook 00 adds the small CNN of notebooks 01-04 on the images themselves: ``fairgap.studies.f0_classical``.)

Data sources: a ``fairgap.tabular.Table`` (the bundled UCI Adult table, or your own DataFrame), split
into stratified random train/test splits, one per seed; and the profile's face images, where the
classical models and the MLP see fixed features (grayscale pixels projected on the training split's top
principal components, so a linear model has far fewer features than training examples and cannot
interpolate by sheer dimension) and the CNN sees the pixels. Each seed draws the same stratified
training subset of the face pool for every model (``fairgap.train.prepare_dataset``), and the test split
is the profile's test faces.

Predictions are scored as the probability that the model says "positive": 0 or 1 for a deterministic
model, the mixture weight for ExponentiatedGradient's randomized classifier (whose constraint holds in
expectation). Disparities follow fairlearn's definitions, on those expected counts (``decision_metrics``;
the tests compare it with ``fairlearn.metrics``).

Every fit is a cached job like notebooks 01-07's runs: a ``ClassicalFit`` (the model spec, what determines
the source's splits, the seed; ``key()`` hashes them) has its folder ``results/classical/<key>/``
(``config.json``, ``fit.csv``, ``info.json`` written last, each atomically: ``fairgap.io``), read by
``load_fit`` (a partial or corrupt entry is refitted), filled by ``run_fit`` here or ``run_fit_in_worker``
in a worker process, and scheduled by ``fairgap.sweep.train_pending`` (sequential, local processes, Dask).
Adding a model fits only that model; a process builds each (source, seed) split once for consecutive fits.
"""


from __future__ import annotations

import dataclasses
import os
from typing import Callable

import numpy as np
import pandas as pd

from .io import load_or_compute, stable_hash
from .metrics import is_collapsed
from .tabular import Table, TabularSplit

MODELS = {"logistic_regression": "classical", "decision_tree": "classical", "random_forest": "classical",
          "knn": "classical", "linear": "classical", "mlp": "network"}
SKLEARN_MODELS = ("logistic_regression", "decision_tree", "random_forest", "knn")
WEIGHTED = ("logistic_regression", "decision_tree", "random_forest")   # take sample weights: reducible
REDUCTIONS = ("equalized_odds", "demographic_parity")
CONSTRAINT_NAMES = {"equalized_odds": "equalized odds", "demographic_parity": "demographic parity",
                    "equal_opportunity": "equal opportunity", None: "none"}
PENALTY_CONSTRAINT = {"equalized_odds_max_penalty": "equalized_odds", "equalized_odds_sum_penalty": "equalized_odds",
                      "demographic_parity_penalty": "demographic_parity",
                      "equal_opportunity_penalty": "equal_opportunity"}
TARGETED = {"equalized_odds": "equalized_odds_difference", "demographic_parity": "demographic_parity_difference",
            "equal_opportunity": "equal_opportunity_difference"}
RESULT_COLUMNS = ("source", "model", "family", "constraint", "seed", "split", "group", "metric", "value",
                  "parameters", "n_train")
CACHE_VERSION = 1
IMAGES = "faces"   # the name of the image source (the profile's image dataset)
# On the smoke profile MLPs and reductions are shrunk (width, steps, iterations) so that CI stays fast.
SHRINK = {"smoke": {"mlp": {"width": 64, "steps": 40}, "reduction": {"max_iter": 10}}, "default": {}, "paper": {}}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A classical model or MLP. Fields beyond ``model`` apply to some kinds only (see the module doc)."""

    model: str
    reduction: str | None = None        # logistic_regression / decision_tree / random_forest: fairlearn reduction
    penalty: str | None = None          # linear / mlp: a gap penalty of fairgap.fairness
    weight: float = 1.0                 # the penalty's λ
    eps: float = 0.01                   # ExponentiatedGradient's allowed constraint violation
    max_iter: int = 50                  # ExponentiatedGradient's iterations (fairlearn's default)
    max_depth: int | None = 4           # decision_tree / random_forest (None: grown until pure)
    width: int = 512                    # mlp: units per hidden layer
    depth: int = 1                      # mlp: hidden layers
    steps: int = 300                    # linear / mlp: full-batch Adam steps
    lr: float = 1e-2
    sources: tuple[str, ...] | None = None   # run only on these sources (None: every source)
    # Added for notebook 08; left out of the cache key at their defaults (see cache_fields), so that
    # notebook 00's cached fits keep their keys.
    C: float = 1.0                      # logistic_regression: inverse regularisation strength
    n_estimators: int = 100             # random_forest: trees
    n_neighbors: int = 5                # knn: k
    postprocess: str | None = None      # scikit-learn models: ThresholdOptimizer's constraint, fitted on train
    weight_decay: float = 0.0           # linear / mlp: Adam's weight decay

    def __post_init__(self):
        problems = []
        if self.model not in MODELS:
            problems.append(f"model={self.model!r} is not one of {', '.join(MODELS)} (the CNN is given separately)")
        if self.reduction is not None and (self.reduction not in REDUCTIONS or self.model not in WEIGHTED):
            hint = (" (k-nearest neighbours takes no sample weights: constrain it with postprocess=...)"
                    if self.model == "knn" else "")
            problems.append(f"reduction={self.reduction!r}: reductions ({', '.join(REDUCTIONS)}) wrap "
                            f"{', '.join(WEIGHTED)}{hint}")
        if self.postprocess is not None and (self.postprocess not in REDUCTIONS or self.model not in SKLEARN_MODELS):
            problems.append(f"postprocess={self.postprocess!r}: ThresholdOptimizer's constraints "
                            f"({', '.join(REDUCTIONS)}) post-process {', '.join(SKLEARN_MODELS)}")
        if self.postprocess is not None and self.reduction is not None:
            problems.append("give reduction or postprocess, not both")
        if self.penalty is not None and (self.penalty not in PENALTY_CONSTRAINT or self.model not in ("linear", "mlp")):
            problems.append(f"penalty={self.penalty!r}: gap penalties ({', '.join(PENALTY_CONSTRAINT)}) train "
                            f"linear or mlp")
        for name in ("width", "depth", "steps", "max_depth", "max_iter", "n_estimators", "n_neighbors"):
            value = getattr(self, name)
            if not (value is None and name == "max_depth") and (not isinstance(value, (int, np.integer)) or value < 1):
                problems.append(f"{name}={value!r} must be an integer of at least 1"
                                + (" (or None: unrestricted)" if name == "max_depth" else ""))
        if not (self.weight >= 0 and self.lr > 0 and self.eps > 0 and self.C > 0 and self.weight_decay >= 0):
            problems.append("weight and weight_decay must be >= 0; lr, eps and C > 0")
        if problems:
            raise ValueError("Invalid model spec: " + "; ".join(problems) + ".")

    @classmethod
    def parse(cls, label: str, spec: dict) -> "ModelSpec":
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(spec) - set(valid))
        if unknown or "model" not in spec:
            raise ValueError(f"Model {label!r}: unknown key(s) {unknown} or no 'model'. Valid keys: {valid}.")
        spec = dict(spec)
        if spec.get("sources") is not None:
            spec["sources"] = tuple(spec["sources"])
        return cls(**spec)

    @property
    def family(self) -> str:
        return MODELS[self.model]

    @property
    def constraint(self) -> str | None:
        return self.reduction or self.postprocess or PENALTY_CONSTRAINT.get(self.penalty)

    def cache_fields(self) -> dict:
        """The fields that key the cache: every field, less those added later while at their defaults."""
        fields = dataclasses.asdict(self)
        return {k: v for k, v in fields.items() if k not in LATER_FIELDS or v != LATER_FIELDS[k]}


LATER_FIELDS = {"C": 1.0, "n_estimators": 100, "n_neighbors": 5, "postprocess": None, "weight_decay": 0.0}


# --- metrics: fairlearn's definitions on the expected counts of a (possibly randomized) classifier ---

def decision_metrics(y, p_positive, group, group_labels) -> list[dict]:
    """Tidy rows {group, metric, value}: accuracy (per group and overall), selection rate, TPR, FPR per
    group, the disparities, and whether the model is constant, for a classifier that says "positive"
    with probability ``p_positive``.

    The rates are the randomized classifier's expected rates (each example counts as a positive
    prediction with weight p and a negative one with weight 1 - p); for p in {0, 1} they are the usual
    counts. Computed with vectorised weighted counts; the definitions are fairlearn's (between-group
    differences; equalized odds = the worse of the TPR and FPR differences), which the tests check
    against ``fairlearn.metrics`` with the same sample weights.
    """
    y, p, group = np.asarray(y).astype(int), np.clip(np.asarray(p_positive, dtype=float), 0, 1), np.asarray(group)
    rows, per_group = [], {"accuracy": [], "selection_rate": [], "tpr": [], "fpr": []}
    for code in np.unique(group):
        mine = group == code
        yg, pg = y[mine], p[mine]
        values = {"accuracy": float(np.mean(np.where(yg == 1, pg, 1 - pg))), "selection_rate": float(pg.mean()),
                  "tpr": float(pg[yg == 1].mean()) if (yg == 1).any() else float("nan"),
                  "fpr": float(pg[yg == 0].mean()) if (yg == 0).any() else float("nan")}
        rows += [{"group": str(group_labels[int(code)]), "metric": k, "value": v} for k, v in values.items()]
        for k, v in values.items():
            per_group[k].append(v)
    spread = {k: float(np.nanmax(v) - np.nanmin(v)) for k, v in per_group.items()}
    rows += [
        {"group": "all", "metric": "accuracy", "value": float(np.mean(np.where(y == 1, p, 1 - p)))},
        {"group": "all", "metric": "equalized_odds_difference", "value": max(spread["tpr"], spread["fpr"])},
        {"group": "all", "metric": "demographic_parity_difference", "value": spread["selection_rate"]},
        {"group": "all", "metric": "equal_opportunity_difference", "value": spread["tpr"]},
        {"group": "all", "metric": "collapsed", "value": float(is_collapsed(p))},
    ]
    return rows


# --- the models ---

def network_config(spec: ModelSpec, n_train: int, seed: int):
    """The ``fairgap.train.RunConfig`` of a linear / mlp spec on a table of ``n_train`` training rows:
    full-batch Adam (weight decay as an L2 term) at a constant rate, one step per epoch for ``steps``
    epochs, on BCE (+ λ · the gap penalty), evaluated at the last epoch."""
    from .data.table import TABLE
    from .train import RunConfig

    model = "linear" if spec.model == "linear" else "mlp" if spec.depth == 1 else f"mlp{spec.depth}"
    return RunConfig(dataset=TABLE, model=model, width=float(spec.width) if spec.model == "mlp" else 1.0,
                     method=spec.penalty or "erm", method_params={"weight": spec.weight} if spec.penalty else {},
                     epochs=spec.steps, batch_size=n_train, lr=spec.lr, optimizer="adam_l2", lr_schedule="constant",
                     weight_decay=spec.weight_decay, eval_every=spec.steps, seed=seed, threads=1)


def fit_torch(spec: ModelSpec, split: TabularSplit, seed: int):
    """Train the spec's network through ``fairgap.train``'s loop (``network_config``) on the split's table
    (``fairgap.data.table``): returns (p_positive on train, on test, parameters), p in {0, 1}: logit >= 0."""
    import torch

    from .data.table import table_dataset
    from .train import torch_threads, train_model

    _, model = train_model(network_config(spec, len(split.y_train), seed), table_dataset(split))
    with torch_threads(1), torch.no_grad():
        decide = lambda a: (model(torch.as_tensor(a)) >= 0).double().numpy()  # noqa: E731 - sigmoid >= 0.5
        return decide(split.x_train), decide(split.x_test), sum(p.numel() for p in model.parameters())


def sklearn_estimator(spec: ModelSpec, seed: int, rows: int | None = None):
    """The scikit-learn model of ``spec``; k-nearest neighbours' k is at most the ``rows`` it is fitted on (a
    training set smaller than k: every training row votes)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    if spec.model == "logistic_regression":
        return LogisticRegression(solver="liblinear", max_iter=1000, random_state=seed, C=spec.C)
    if spec.model == "random_forest":
        return RandomForestClassifier(n_estimators=spec.n_estimators, max_depth=spec.max_depth, random_state=seed,
                                      n_jobs=1)
    if spec.model == "knn":
        return KNeighborsClassifier(n_neighbors=min(spec.n_neighbors, rows or spec.n_neighbors), n_jobs=1)
    return DecisionTreeClassifier(max_depth=spec.max_depth, random_state=seed)


def n_parameters(estimator) -> int:
    """Coefficients of a linear model; nodes of a tree or forest (one split or leaf value each); the stored
    training values of k-nearest neighbours (rows x features: it keeps its training set)."""
    if hasattr(estimator, "coef_"):
        return int(estimator.coef_.size + estimator.intercept_.size)
    if hasattr(estimator, "estimators_"):
        return int(sum(tree.tree_.node_count for tree in estimator.estimators_))
    if hasattr(estimator, "n_samples_fit_"):
        return int(estimator.n_samples_fit_ * estimator.n_features_in_)
    return int(estimator.tree_.node_count)


def fit_sklearn(spec: ModelSpec, split: TabularSplit, seed: int):
    """The estimator, or fairlearn's ExponentiatedGradient around it: (p_positive train, test, parameters).

    The reduction's randomized classifier says "positive" with probability sum_h weight_h * h(x), from
    its fitted ``predictors_`` and ``weights_``. Its parameter count is that of the largest predictor in
    the mixture. The expected prediction draws nothing: ``ExponentiatedGradient.predict`` is not used, which
    without a ``random_state`` would draw from numpy's global generator (fairlearn issue #1261).
    """
    x, y, g = split.part("train")
    if spec.postprocess is not None:
        return fit_threshold_optimizer(spec, split, seed)
    if spec.reduction is None:
        model = sklearn_estimator(spec, seed, len(y)).fit(x, y)
        return model.predict(split.x_train).astype(float), model.predict(split.x_test).astype(float), n_parameters(model)
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient

    moment = EqualizedOdds() if spec.reduction == "equalized_odds" else DemographicParity()
    reduction = ExponentiatedGradient(sklearn_estimator(spec, seed), moment, eps=spec.eps, max_iter=spec.max_iter)
    reduction.fit(x, y, sensitive_features=g)
    used = [(w, h) for w, h in zip(reduction.weights_, reduction.predictors_) if w > 0]
    pmf = lambda a: sum(w * h.predict(a) for w, h in used)  # noqa: E731
    return pmf(split.x_train), pmf(split.x_test), max(n_parameters(h) for _, h in used)


def fit_threshold_optimizer(spec: ModelSpec, split: TabularSplit, seed: int):
    """fairlearn's ThresholdOptimizer around the estimator, both fitted on the training split (group-specific,
    randomized thresholds on its predicted probability that equalise ``spec.postprocess`` on the training
    data): (p_positive train, test, parameters). The expected prediction is the optimizer's probability
    mass of saying "positive" (``_pmf_predict``), so nothing is drawn."""
    from fairlearn.postprocessing import ThresholdOptimizer

    x, y, g = split.part("train")
    model = sklearn_estimator(spec, seed, len(y)).fit(x, y)
    optimizer = ThresholdOptimizer(estimator=model, constraints=spec.postprocess, prefit=True,
                                   predict_method="predict_proba")
    optimizer.fit(x, y, sensitive_features=g)
    pmf = lambda a, groups: optimizer._pmf_predict(a, sensitive_features=groups)[:, 1]  # noqa: E731
    return pmf(split.x_train, split.g_train), pmf(split.x_test, split.g_test), n_parameters(model)


def fit(spec: ModelSpec, split: TabularSplit, seed: int):
    """Fit and predict with one BLAS/OpenMP thread, so the result does not depend on how many threads the
    process (or a worker process) happens to have: byte-reproducible (the torch side pins its own threads)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return (fit_torch if spec.model in ("linear", "mlp") else fit_sklearn)(spec, split, seed)


def evaluate_spec(label: str, spec: ModelSpec, split: TabularSplit, source: str) -> pd.DataFrame:
    """Fit one model on one split; tidy rows (RESULT_COLUMNS) for train and test."""
    p_train, p_test, parameters = fit(spec, split, split.seed)
    rows = []
    for name, p in (("train", p_train), ("test", p_test)):
        _, y, g = split.part(name)
        rows += [{"split": name, **row} for row in decision_metrics(y, p, g, split.group_labels)]
    frame = pd.DataFrame(rows)
    return frame.assign(source=source, model=label, family=spec.family, constraint=CONSTRAINT_NAMES[spec.constraint],
                        seed=split.seed, parameters=parameters, n_train=len(split.y_train))[list(RESULT_COLUMNS)]


# --- data sources ---

def image_features(train_images, test_images, n_components: int, seed: int = 0, fit_rows: int = 5000):
    """Grayscale pixels in [0, 1], projected on the top ``n_components`` principal components of (at most
    ``fit_rows`` of) the training images, then standardised with the training statistics."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    gray = lambda images: images.float().mean(dim=1).flatten(1).numpy() / 255.0  # noqa: E731
    train, test = gray(train_images), gray(test_images)
    n_components = min(n_components, len(train) - 1, train.shape[1])
    rows = np.random.default_rng(seed).permutation(len(train))[:fit_rows]
    pca = PCA(n_components, svd_solver="randomized", random_state=seed).fit(train[rows])
    scaler = StandardScaler().fit(pca.transform(train))
    project = lambda a: scaler.transform(pca.transform(a)).astype(np.float32)  # noqa: E731
    return project(train), project(test)


def image_split(config, n_components: int) -> TabularSplit:
    """The training subset and test split the CNN of ``config`` sees, as PCA features (see image_features)."""
    from .train import prepare_dataset

    dataset = prepare_dataset(config)
    train, test = dataset["train"], dataset["test"]
    x_train, x_test = image_features(train.images, test.images, n_components, seed=config.seed)
    return TabularSplit(x_train, train.target.numpy(), train.group.numpy(), x_test, test.target.numpy(),
                        test.group.numpy(), [f"pc{i + 1}" for i in range(x_train.shape[1])],
                        tuple(dataset.group_labels), config.seed, dataset.name)


class _TableSplitter:
    """Picklable ``seed -> TabularSplit`` of a Table (for worker processes)."""

    def __init__(self, table: Table, train_size, test_size):
        self.table, self.train_size, self.test_size = table, train_size, test_size

    def __call__(self, seed: int) -> TabularSplit:
        return self.table.split(seed, self.train_size, self.test_size)


class _ImageSplitter:
    def __init__(self, base, n_components: int):
        self.base, self.n_components = base, n_components

    def __call__(self, seed: int) -> TabularSplit:
        return image_split(self.base.replace(seed=seed), self.n_components)


# --- the runner: every model on every source and seed ---

class Models(dict):
    """Labelled specs (label -> ModelSpec) that remember the profile they were parsed for: ``run_tasks``
    shows a progress bar for them unless it is the smoke profile."""

    def __init__(self, *args, profile: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile


def parse_models(models: dict[str, dict], profile: str) -> Models:
    """Labelled specs; on the smoke profile MLPs and reductions are shrunk (``SHRINK``: width, steps,
    iterations) unless a spec sets those keys itself, so that CI stays fast."""
    from .paths import check_profile

    shrink = SHRINK[check_profile(profile)]
    parsed = Models(profile=profile)
    for label, spec in models.items():
        kinds = [k for k in ("mlp",) if spec.get("model") == k] + (["reduction"] if spec.get("reduction") else [])
        for kind in kinds:
            spec = {**shrink.get(kind, {}), **spec}
        parsed[label] = ModelSpec.parse(label, spec)
    return parsed


def image_base(profile: str, n_train: int, dataset: str | None = None, data: dict | None = None):
    """The CNN's sweep config at ``n_train`` training images (notebook 04's pool and runs)."""
    from .profiles import PROFILES, dataset_overrides, sweep_base, sweep_scale

    overrides = dataset_overrides(dataset, data)
    if overrides.get("dataset", PROFILES[profile]["dataset"]) == PROFILES[profile]["dataset"]:
        overrides["data"] = {**sweep_scale(profile)["size_pool"], **overrides["data"]}
    return sweep_base(profile, n_train=n_train, **overrides).validate()


def table_sizes(rows: int, n_train: int, n_test: int | None, name: str | None = None) -> tuple:
    """The profile's training rows (half the table when it is smaller than that allows) and test rows
    (every remaining row when ``n_test`` is None or more than remain); with the table's ``name``, what was
    scaled down is printed."""
    if n_train > 0.8 * rows:
        if name is not None:
            print(f"{name} has {rows} rows, too few for the profile's {n_train} training rows: each split trains on "
                  f"half of them and tests on the other half.")
        return 0.5, None
    if name is not None and n_test is not None and n_test > rows - n_train:
        print(f"{name} has {rows} rows, too few for the profile's {n_train} training and {n_test} test rows: each "
              f"split tests on the {rows - n_train} rows left.")
    return n_train, (n_test if n_test is not None and n_test <= rows - n_train else None)


def rows_said(table: Table, train_size) -> str:
    """A split's training rows in words: a count, or a share of the table ("70% of its 300")."""
    return f"{train_size}" if train_size >= 1 else f"{train_size:.0%} of its {len(table)}"


def rarest_cell(table: Table) -> int:
    """Rows of the table's rarest (group, target) cell, 0 when a group lacks a target value."""
    return int(np.bincount(table.group * 2 + table.y, minlength=2 * len(table.group_labels)).min())


def table_task(table: Table, n_train, n_test) -> tuple:
    """A tabular source as (name, seed -> split, what determines its cache entries)."""
    describe = {"source": table.name, "rows": len(table), "features": list(table.features.columns),
                "target": table.target_name, "sensitive": table.group_name,
                "content": str(pd.util.hash_pandas_object(table.features.assign(y_=table.y, g_=table.group)).sum()),
                "n_train": n_train, "n_test": n_test}
    return table.name, _TableSplitter(table, n_train, n_test), describe


def image_task(profile: str, n_train: int, n_components: int, dataset: str | None = None,
               data: dict | None = None) -> tuple:
    """The profile's images as PCA features (see image_split) as (name, seed -> split, cache description);
    the images are generated (and cached) here, once, before any worker needs them."""
    from .train import prepare_dataset

    base = image_base(profile, n_train, dataset, data)
    prepare_dataset(base)
    describe = {"source": IMAGES, "config": dataclasses.asdict(base.replace(seed=0)), "n_components": n_components}
    return IMAGES, _ImageSplitter(base, n_components), describe


def run_tasks(tasks: list[tuple], labelled: dict[str, ModelSpec], seeds: list[int], executor: str = "sequential",
              workers: int | None = None, progress: bool | None = None) -> list[pd.DataFrame]:
    """Every model of ``labelled`` (those whose ``sources`` allow it) on every task (table_task / image_task)
    and seed, each fit loaded from its cache entry or fitted (``ClassicalFit``), scheduled by
    ``fairgap.sweep.train_pending`` on ``executor`` ("auto", "sequential", "processes", "dask" or a Dask
    scheduler address). Returns one tidy frame (RESULT_COLUMNS) per (source, seed), its models in
    ``labelled``'s order. ``progress`` None: a progress bar unless ``labelled`` was parsed for the smoke
    profile (``parse_models``; a plain dict: none)."""
    from .sweep import train_pending

    if progress is None:
        progress = getattr(labelled, "profile", None) not in (None, "smoke")

    jobs = [({"source": source, "seed": seed, "model": label}, ClassicalFit(spec, describe, seed, splitter))
            for source, splitter, describe in tasks for seed in seeds   # grouped by split: see _split_of
            for label, spec in labelled.items() if spec.sources is None or source in spec.sources]
    try:
        train_pending(jobs, load_fit, run_fit, run_fit_in_worker, fit_folder, executor=executor, workers=workers,
                      progress=progress, desc="classical fits")
    finally:
        _SPLIT.clear()
    frames: dict[tuple, list[pd.DataFrame]] = {}
    for labels, config in jobs:
        frame = load_fit(config)
        if frame is None:
            raise RuntimeError(f"Classical fit {labels} has no cache entry in {fit_folder(config)} after fitting.")
        frames.setdefault((labels["source"], labels["seed"]), []).append(frame.assign(model=labels["model"],
                                                                                      source=labels["source"]))
    return [pd.concat(parts, ignore_index=True) for parts in frames.values()]


# --- the cached-run protocol of one fit: config -> key -> folder -> load / save / run ---

@dataclasses.dataclass(frozen=True)
class ClassicalFit:
    """One model on one source's split at one seed: everything that determines the fit's numbers
    (``spec.cache_fields()``, ``describe``: what determines the source's splits, from table_task /
    image_task; ``seed``), and the picklable ``splitter`` (seed -> TabularSplit) a worker rebuilds the split
    with, which ``describe`` stands for in the key."""

    spec: ModelSpec
    describe: dict
    seed: int
    splitter: Callable[[int], TabularSplit] = dataclasses.field(compare=False, repr=False)
    threads = 1   # one BLAS / torch thread per fit (see fit): a worker per core

    def __post_init__(self):
        self.validate()

    def validate(self) -> "ClassicalFit":
        """Fail before any fit, naming the bad value."""
        problems = []
        if not isinstance(self.spec, ModelSpec):
            problems.append(f"spec must be a ModelSpec, got {type(self.spec).__name__}")
        if not isinstance(self.describe, dict) or not isinstance(self.describe.get("source"), str):
            problems.append(f"describe must be a dict naming its 'source' (see table_task / image_task), "
                            f"got {self.describe!r:.80}")
        elif isinstance(self.spec, ModelSpec) and self.spec.sources is not None \
                and self.source not in self.spec.sources:
            problems.append(f"the spec runs on sources {list(self.spec.sources)}, not on {self.source!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or not 0 <= self.seed < 2**32:
            problems.append(f"seed must be an integer in [0, 2**32), got {self.seed!r}")
        if not callable(self.splitter):
            problems.append(f"splitter must be callable (seed -> TabularSplit), got {self.splitter!r:.80}")
        if problems:
            raise ValueError("Invalid classical fit: " + "; ".join(problems) + ".")
        return self

    @property
    def source(self) -> str:
        return self.describe["source"]

    def identity(self) -> dict:
        """What determines the fit (its config.json)."""
        return {**self.describe, "seed": int(self.seed), "spec": self.spec.cache_fields()}

    def key(self) -> str:
        """Stable hash of ``identity()`` and the cache version: the fit's name in the cache."""
        return stable_hash({**self.identity(), "cache_version": CACHE_VERSION})

    def split_key(self) -> str:
        """The split's name: what determines the source's splits, and the seed."""
        return stable_hash({**self.describe, "seed": int(self.seed)})

    def payload(self) -> "ClassicalFit":
        """What a worker process gets (``fairgap.sweep._payload``): the fit itself, splitter and all."""
        return self



FIT_TABLE = "fit"   # results/classical/<key>/fit.csv
_SPLIT: dict[str, TabularSplit] = {}   # this process's last split: consecutive fits of one (source, seed) share it


def fit_folder(config: ClassicalFit):
    from .paths import results_dir

    return results_dir() / "classical" / config.key()


def load_fit(config: ClassicalFit) -> pd.DataFrame | None:
    """The cached tidy rows of ``config`` (its ``model`` column: the spec's kind; callers set their label),
    or None if absent, partial or corrupt (then it is refitted)."""
    from .io import read_run_entry

    entry = read_run_entry(fit_folder(config), config.key(), {FIT_TABLE: RESULT_COLUMNS})
    return None if entry is None else entry[1][FIT_TABLE]


def save_fit(config: ClassicalFit, frame: pd.DataFrame) -> None:
    from .io import write_run_entry

    write_run_entry(fit_folder(config), config.identity(), config.key(), {}, {FIT_TABLE: frame})


def _split_of(config: ClassicalFit) -> TabularSplit:
    """The fit's split, built once per process for consecutive fits of one (source, seed), with one BLAS
    thread (the encoders / PCA of the split, as each fit: see fit)."""
    from threadpoolctl import threadpool_limits

    key = config.split_key()
    if key not in _SPLIT:
        _SPLIT.clear()
        with threadpool_limits(1):
            _SPLIT[key] = config.splitter(config.seed)
    return _SPLIT[key]


def run_fit(config: ClassicalFit) -> pd.DataFrame:
    """Fit ``config`` unless an intact cache entry exists; cache what was fitted."""
    config.validate()
    return load_or_compute(fit_folder(config), lambda: load_fit(config),
                           lambda: evaluate_spec(config.spec.model, config.spec, _split_of(config), config.source),
                           lambda frame: save_fit(config, frame))


def run_fit_in_worker(config: ClassicalFit, results: str, data: str) -> str:
    """Worker entry point (``fairgap.sweep.train_pending``): fit one config into the results folder given;
    returns its key."""
    os.environ["FAIRGAP_RESULTS"], os.environ["FAIRGAP_DATA"] = results, data
    run_fit(config)
    return config.key()


# --- summaries ---

def targeted_disparity(results: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per model, source and seed: train and test values of the disparity the model's constraint targets
    (``disparity`` for unconstrained models), their gap test − train, and train accuracy."""
    rows = results[results.group == "all"]
    target = rows.constraint.map({CONSTRAINT_NAMES[c]: m for c, m in TARGETED.items()}).fillna(disparity)
    chosen = rows[rows.metric == target]
    wide = chosen.pivot_table(index=["source", "model", "family", "constraint", "seed", "parameters", "n_train",
                                     "metric"], columns="split", values="value").reset_index()
    run = ["source", "model", "seed", "n_train"]   # one fit: notebook 08's size sweep fits a model per size
    accuracy = rows[rows.metric == "accuracy"].pivot_table(index=run, columns="split", values="value")
    collapsed = rows[rows.metric == "collapsed"].pivot_table(index=run, columns="split", values="value")
    wide = wide.join(accuracy.add_suffix("_accuracy"), on=run)
    wide = wide.join(collapsed["test"].rename("collapsed"), on=run)
    wide["gap"] = wide["test"] - wide["train"]
    return wide.rename(columns={"metric": "disparity"})


def gap_table(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per source and model: mean train and test disparity, the gap with its 95% t-interval over
    seeds, mean train accuracy, n."""
    from .evidence import t_interval

    rows = []
    for (source, model), part in per_run.groupby(["source", "model"], sort=False):
        low, high = t_interval(part.gap.to_numpy())
        rows.append({"source": source, "model": model, "family": part.family.iloc[0],
                     "constraint": part.constraint.iloc[0], "disparity": part.disparity.iloc[0],
                     "train": part.train.mean(), "test": part.test.mean(), "gap": part.gap.mean(),
                     "gap_low": low, "gap_high": high, "train_accuracy": part.train_accuracy.mean(),
                     "test_accuracy": part.test_accuracy.mean(), "parameters": int(part.parameters.median()),
                     "collapsed_share": part.collapsed.mean(), "n": len(part)})
    return pd.DataFrame(rows)
