"""Profiles and the experiment calls notebooks make: one call runs (or loads) an experiment.

A profile fixes the scale of every experiment:

* ``smoke``: seconds, tiny generated data, for CI; the numbers mean nothing.
* ``default``: minutes on a 2-core CPU, generated data large enough for the network to
  interpolate its training set (the regime of the paper).
* ``paper``: a GPU and real data (CelebA at 64 px, ResNet-18), as in the paper.
"""

from __future__ import annotations

import pandas as pd

from .data import POPULATION_DATASETS, profile_options
from .paths import check_profile, with_seed_offset
from .remedies import CONTROL, POSTPROCESSED
from .sweep import SweepRun, final_epoch, method_config, plan, product, run_sweep, scheduler_address
from .train import RunConfig, RunResult, data_seed_of, run

# ``population``: the size of the generator's fresh sample every final model is evaluated on (generated
# data only; ``population_size`` in fairgap.evidence says how precise it is). 20,000 faces cost about
# 2.5 s per run on one core (a default run trains for about 8 s).
PROFILES = {
    "smoke": dict(dataset="synthetic_faces",
                  data={"n_train": 240, "n_val": 120, "n_test": 240, "image_size": 16}, population=600,
                  model="small_cnn", width=0.5, epochs=2, batch_size=64, lr=1e-3, device="cpu"),
    # Tuned so that ERM interpolates (100% train accuracy) within the epochs on a 2-core CPU:
    # 1,000 training faces at 32 px, small CNN at half width (18k parameters), batches of 64.
    "default": dict(dataset="synthetic_faces", data={}, population=20000, model="small_cnn", width=0.5, epochs=30,
                    batch_size=64, lr=2e-3, device="auto"),
    "paper": dict(dataset="celeba", data={"target": "Smiling", "sensitive": "Male", "image_size": 64},
                  model="resnet18", width=1.0, epochs=30, batch_size=256, lr=1e-3, device="auto", precision="bf16"),
}


def base_config(profile: str, **overrides) -> RunConfig:
    """The profile's RunConfig with ``overrides`` applied (dataset options are merged, not replaced)."""
    check_profile(profile)
    settings = dict(PROFILES[profile])
    if overrides.get("dataset", settings["dataset"]) != settings["dataset"]:
        settings["data"] = profile_options(profile, overrides["dataset"])  # not the profile's own dataset's
        settings["population"] = with_population(overrides["dataset"], settings.get("population", 0))
    data = {**settings.pop("data"), **overrides.pop("data", {})}
    settings.update(overrides)
    return RunConfig(**settings, data=data)


def with_population(dataset: str, size: int) -> int:
    """The population size a profile gives ``dataset``: its own where the data are generated, else 0."""
    return size if dataset in POPULATION_DATASETS else 0


def run_labelled(configs: dict, progress: bool = True, executor: str = "auto") -> dict:
    """Run (or load from the cache) each labelled config, spread over local processes by default;
    every config is validated before anything trains."""
    from .train import load_cached

    runs = [SweepRun({"label": str(label)}, config.validate()) for label, config in configs.items()]
    if executor == "sequential":
        for r in runs:
            run(r.config, progress=progress)
    else:
        run_sweep(runs, executor=executor, progress=progress)
    return {label: load_cached(config) for label, config in configs.items()}


def dataset_overrides(dataset: str | None = None, data: dict | None = None) -> dict:
    """A notebook's ``dataset`` / ``data`` parameters as config overrides (None: the profile's dataset)."""
    return {"data": dict(data or {}), **({"dataset": dataset} if dataset is not None else {})}


# Notebook 01's seeds per profile: every epoch of every method is evaluated, so fewer than the sweeps;
# the methods behind its primary claim (``fairgap.claims.primary``) run at the sweeps' primary seeds.
# Train and test are evaluated every ``eval_every`` epochs (F1's curves): every second epoch in the default
# profile, where a full evaluation of 3,000 faces costs about as much as an epoch of training.
OVERFITS_SCALE = {"smoke": dict(seeds=[0], eval_every=1), "default": dict(seeds=[0, 1, 2], eval_every=2),
                  "paper": dict(seeds=[0, 1, 2], eval_every=1)}


def check_seeds(seeds, name: str = "seeds") -> list[int]:
    if not seeds or not all(isinstance(s, int) for s in seeds):
        raise ValueError(f"{name} must be a non-empty list of integers (e.g. [0, 1, 2]), got {seeds!r}.")
    return list(seeds)


def fairness_overfits(profile: str, methods: dict[str, dict], dataset: str | None = None, data: dict | None = None,
                      seeds: list[int] | None = None, epochs: int | None = None, executor: str = "auto",
                      primary_seeds: list[int] | None = None) -> dict[tuple[str, int], RunResult]:
    """Notebook 01: one run per labelled method spec and seed (None: the profile's ``OVERFITS_SCALE`` seeds; the
    methods behind the primary claim: ``primary_seeds``, None: the profile's), train and test evaluated
    every ``eval_every`` epochs of the profile. Keys are (label, seed)."""
    from .claims.primary import seeds_for

    check_profile(profile)
    scale = with_seed_offset(OVERFITS_SCALE[profile])
    seeds = check_seeds(scale["seeds"] if seeds is None else seeds)
    primary_seeds = check_seeds(sweep_scale(profile)["primary_seeds"] if primary_seeds is None else primary_seeds,
                                "primary_seeds")
    overrides = {**dataset_overrides(dataset, data), "eval_every": scale["eval_every"]}
    if epochs is not None:
        overrides["epochs"] = epochs
    base = base_config(profile, **overrides)
    configs = {(label, seed): method_config(base, {**spec, "seed": seed})
               for label, spec in methods.items()
               for seed in seeds_for("01_fairness_overfits", label, seeds, primary_seeds)}
    return run_labelled(configs, progress=profile != "smoke", executor=sweep_executor(profile, executor))


def combined_history(results: dict[tuple[str, int], RunResult]) -> pd.DataFrame:
    """All histories in one tidy table with a ``method`` label, its ``objective`` (the fairness method's
    name, which says the disparity it targets), the run's ``seed`` and ``run`` key."""
    frames = [r.history.assign(method=label, objective=r.config.method, seed=r.config.seed, run=r.config.key(),
                               data_seed=data_seed_of(r.config))
              for (label, _), r in results.items()]
    return pd.concat(frames, ignore_index=True)


def final_table(results: dict[tuple[str, int], RunResult], disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per method at the last epoch, mean over seeds: train, test and (generated data) population disparity
    and accuracy per group; ``collapsed`` counts the seeds whose final model is a constant predictor on that
    split."""
    rows = []
    for (label, seed), result in results.items():
        final = result.final()
        row = {"method": label, "seed": seed}
        for split in [s for s in ("train", "test", "population") if (final.split == s).any()]:
            part = final[final.split == split]
            get = lambda metric, group="all": float(part[(part.metric == metric) & (part.group == group)].value.iloc[0])  # noqa: E731
            row[f"{split} {disparity}"] = get(disparity)
            for group in result.info["group_labels"]:
                row[f"{split} accuracy ({group})"] = get("accuracy", group)
            row[f"{split} collapsed"] = int(get("collapsed"))
        rows.append(row)
    per_run = pd.DataFrame(rows).drop(columns="seed").groupby("method", sort=False)
    table = per_run.mean()
    collapsed = [c for c in table.columns if c.endswith("collapsed")]
    table[collapsed] = per_run[collapsed].sum()
    return table.assign(seeds=per_run.size())


# --- sweeps (notebooks 02-04): a cheaper run per cell, repeated over seeds ---

SWEEP_SCALE = {
    # The same runs as notebook 01, evaluated less often (sweeps use the final epoch), repeated over seeds.
    "smoke": dict(overrides={"epochs": 2}, seeds=[0], primary_seeds=[0], weights=[0.3, 3.0], widths=[0.25, 0.5],
                  sizes=[100, 200], size_pool={}),
    # Evaluated at the start and the last epoch only (figures and claims use the final epoch; early
    # stopping in notebook 07 sets its own eval_every). Five seeds for exploratory settings; ten
    # (``primary_seeds``) for the settings behind a primary claim (``fairgap.claims.primary``), including
    # every weight of notebook 02's equalized-odds penalty, whose claims choose their weights from the results. Ten seeds make the t-interval's half-width 2.26 s/√10 = 0.72 s,
    # against 1.24 s at five. Five log-spaced weights up to 3.2, where both penalties have collapsed
    # (the 5.6 and 10 of the previous grid only repeated the collapse). Sizes stop at 2,000 training
    # faces: a 4,000-face run costs as much as four others.
    "default": dict(overrides={"eval_every": 30}, seeds=[0, 1, 2, 3, 4], primary_seeds=list(range(10)),
                    weights=[0.1, 0.32, 1.0, 1.8, 3.2],
                    widths=[0.0625, 0.125, 0.25, 0.5, 1.0], sizes=[250, 500, 1000, 2000],
                    size_pool={"n_train": 2000}),
    "paper": dict(overrides={"eval_every": 5}, seeds=[0, 1, 2], primary_seeds=list(range(10)),
                  weights=[0.1, 0.3, 1.0, 3.0, 10.0],
                  widths=[0.25, 0.5, 1.0, 2.0, 4.0, 8.0], sizes=[10000, 30000, 100000, 162770], size_pool={}),
}


def sweep_scale(profile: str) -> dict:
    """The sweep settings of a profile: config overrides, seeds and the default axes."""
    check_profile(profile)
    return with_seed_offset(SWEEP_SCALE[profile])


def sweep_executor(profile: str, executor: str) -> str:
    """Smoke runs take a fraction of a second: starting worker processes would cost more than it saves
    (a Dask scheduler named by DASK_SCHEDULER_ADDRESS is already running: "auto" goes there)."""
    return "sequential" if executor == "auto" and profile == "smoke" and not scheduler_address() else executor


def sweep_base(profile: str, **overrides) -> RunConfig:
    """The profile's RunConfig at sweep scale, with ``overrides`` on top."""
    scale = dict(sweep_scale(profile)["overrides"])
    scale.update(overrides)
    return base_config(profile, **scale)


def constraint_strength(profile: str, methods: list[str], weights: list[float], seeds: list[int],
                        warmup_epochs: int = 2, executor: str = "auto", dataset: str | None = None,
                        data: dict | None = None, primary_seeds: list[int] | None = None, **overrides) -> pd.DataFrame:
    """F2's data: each method at each weight, and ERM, over ``seeds`` (ERM is weight 0); the methods
    behind notebook 02's primary claims (and ERM, their reference) over ``primary_seeds`` (None: the
    profile's). ``dataset`` None: the profile's; ``data`` merges over the profile's dataset options."""
    from .claims.primary import seeds_for

    seeds = check_seeds(seeds)
    primary_seeds = check_seeds(sweep_scale(profile)["primary_seeds"] if primary_seeds is None else primary_seeds,
                                "primary_seeds")
    base = sweep_base(profile, **dataset_overrides(dataset, data), **overrides)
    specs = product(method=methods, weight=weights, warmup_epochs=[warmup_epochs]) + [{"method": "erm"}]
    specs = [{**spec, "seeds": seeds_for("02_constraint_strength", spec["method"], seeds, primary_seeds)}
             for spec in specs]
    table = run_sweep(plan(base, specs, seeds), executor=sweep_executor(profile, executor),
                      progress=profile != "smoke")
    table.loc[table.method == "erm", "weight"] = 0.0
    return table


def strength_trainer(profile: str, seeds: list[int], warmup_epochs: int = 2, **overrides):
    """For the notebook 02 explorer: a function (method, weight) -> the new runs' table, over ``seeds``."""
    base = sweep_base(profile, **overrides)

    def train_new(method: str, weight: float) -> pd.DataFrame:
        runs = plan(base, [{"method": method, "weight": weight, "warmup_epochs": warmup_epochs}], seeds)
        return run_sweep(runs, executor=sweep_executor(profile, "auto"), progress=True)

    return train_new


def capacity_or_size(profile: str, axis: str, values: list, methods: dict[str, dict], seeds: list[int],
                     executor: str = "auto", dataset: str | None = None, data: dict | None = None,
                     primary_seeds: list[int] | None = None, **overrides) -> pd.DataFrame:
    """F3/F4's data: each labelled method spec at each value of ``axis`` ("width" or "n_train"), over seeds
    (the methods behind the notebook's primary claim over ``primary_seeds``; None: the profile's).
    ``dataset`` None: the profile's; ``data`` merges over the profile's dataset options (and, for
    "n_train" on the profile's dataset, over the pool the sizes are drawn from)."""
    from .claims.primary import seeds_for

    if axis not in ("width", "n_train"):
        raise ValueError(f"axis must be 'width' or 'n_train', got {axis!r}.")
    overrides.update(dataset_overrides(dataset, data))
    if axis == "n_train" and overrides.get("dataset", PROFILES[profile]["dataset"]) == PROFILES[profile]["dataset"]:
        overrides["data"] = {**sweep_scale(profile)["size_pool"], **overrides["data"]}
    elif axis == "width":
        overrides.setdefault("model", "small_cnn")  # the one model with a width knob
    base = sweep_base(profile, **overrides)
    notebook = "03_model_capacity" if axis == "width" else "04_training_set_size"
    primary_seeds = sweep_scale(profile)["primary_seeds"] if primary_seeds is None else primary_seeds
    specs = [{"label": label, **spec, axis: value, "seeds": seeds_for(notebook, label, seeds, primary_seeds)}
             for label, spec in methods.items() for value in values]
    return run_sweep(plan(base, specs, seeds), executor=sweep_executor(profile, executor),
                     progress=profile != "smoke")


# --- remedies (notebook 07) ---

def remedy_specs(constrained: dict, smaller_width: float) -> dict[str, dict]:
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
    return {
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


def compare_remedies(profile: str, constrained: dict, seeds: list[int], smaller_width: float | None = None,
                     executor: str = "auto", dataset: str | None = None, data: dict | None = None,
                     primary_seeds: list[int] | None = None, **overrides) -> pd.DataFrame:
    """F7's data: every remedy of ``remedy_specs`` over seeds, plus fairlearn's ThresholdOptimizer
    fitted on the validation scores of each ERM run (equalized odds) and applied to its other scored
    splits: train, test and, for generated data, the population. One tidy table with a ``label``.
    ``dataset`` None: the profile's; ``data`` merges over the profile's dataset options."""
    from .claims.primary import seeds_for
    from .postprocess import postprocessed_metrics
    from .train import load_cached

    base = sweep_base(profile, **dataset_overrides(dataset, data), **overrides)
    smaller_width = smaller_width or base.width / 4
    primary_seeds = sweep_scale(profile)["primary_seeds"] if primary_seeds is None else primary_seeds
    specs = [{"label": label, **spec, "seeds": seeds_for("07_remedies", label, seeds, primary_seeds)}
             for label, spec in remedy_specs(constrained, smaller_width).items()]
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
    return pd.concat([table, *post], ignore_index=True)
