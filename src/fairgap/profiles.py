"""The profiles of the networks' runs, and the run calls that several notebooks share.

A profile fixes the scale of every experiment:

* ``smoke``: seconds, tiny generated data, for CI; the numbers mean nothing.
* ``default``: minutes on a 2-core CPU, generated data large enough for the network to
  interpolate its training set (the regime of the paper).
* ``paper``: a GPU and real data (CelebA at 64 px, ResNet-18), as in the paper.

``PROFILES`` is the RunConfig of each profile (``base_config``); ``SWEEP_SCALE`` what the sweeps of
notebooks 02-04 and 07 (and notebook 00's CNN) share: their seeds and a cheaper evaluation
(``sweep_base``). Each notebook's own settings per profile live in its study (``fairgap.studies``).
"""

from __future__ import annotations

import pandas as pd

from .data import POPULATION_DATASETS, profile_options
from .data.population import TARGET_HALFWIDTH, cells_for_halfwidth
from .paths import check_profile, with_seed_offset
from .sweep import SweepRun, plan, run_sweep, scheduler_address
from .train import RunConfig, run

# ``population``: the size of the generator's fresh sample every final model is evaluated on (generated data
# only; fairgap.data.population): 9,604 examples of each of the 4 (group, label) cells, enough for ±0.01 (95%)
# on every per-group TPR, FPR and accuracy at any rate. A run scores as much of it as its own rates need
# (``fairgap.train.record_population``): 16,384 to 38,416 faces, about 1.6-4 s on one core.
DEFAULT_POPULATION = 4 * cells_for_halfwidth(TARGET_HALFWIDTH)
PROFILES = {
    "smoke": dict(dataset="synthetic_faces",
                  data={"n_train": 240, "n_val": 120, "n_test": 240, "image_size": 16}, population=600,
                  model="small_cnn", width=0.5, epochs=2, batch_size=64, lr=1e-3, device="cpu"),
    # Tuned so that ERM interpolates (100% train accuracy) within the epochs on a 2-core CPU:
    # 1,000 training faces at 32 px, small CNN at half width (18k parameters), batches of 64.
    "default": dict(dataset="synthetic_faces", data={}, population=DEFAULT_POPULATION, model="small_cnn", width=0.5, epochs=30,
                    batch_size=64, lr=2e-3, device="auto"),
    "paper": dict(dataset="celeba", data={"target": "Smiling", "sensitive": "Male", "image_size": 64},
                  model="resnet18", width=1.0, epochs=30, batch_size=256, lr=1e-3, device="auto", precision="bf16"),
}


# A table's runs (``dataset="table"``, notebooks 01-04 and 07 given a table: ``fairgap.table_runs.table_run``): an MLP of
# two hidden layers whose width (units per layer) lets it fit its training rows, instead of the profile's CNN; the rest
# of the profile (its seeds, the sweeps' evaluation) as on images. No population: the held-out measure is the test split.
# Default, chosen on Adult's 2,000 training rows (pilot seed 1000): two layers of 256 units fit 0.989 of them in 200
# epochs of batches of 256 at 3e-3 (about 6 s a run on one core), where the most any classifier can fit is 0.996 (rows
# with the same features and different labels); one layer of 1,024 units stopped at 0.975-0.982 (200-600 epochs,
# batches of 64-500, rates 1e-3 to 1e-2), 4,096 units at 0.958.
TABLE_RUNS = {
    "smoke": dict(model="mlp", width=64, epochs=2, batch_size=64, lr=1e-3, device="cpu"),
    "default": dict(model="mlp2", width=256, epochs=200, batch_size=256, lr=3e-3, device="cpu"),
    "paper": dict(model="mlp2", width=256, epochs=200, batch_size=256, lr=3e-3, device="auto"),
}


def base_config(profile: str, **overrides) -> RunConfig:
    """The profile's RunConfig with ``overrides`` applied (dataset options are merged, not replaced); on a table
    (``dataset="table"``) its MLP of ``TABLE_RUNS``."""
    from .data.table import TABLE

    check_profile(profile)
    settings = dict(PROFILES[profile])
    if overrides.get("dataset", settings["dataset"]) != settings["dataset"]:
        settings["data"] = profile_options(profile, overrides["dataset"])  # not the profile's own dataset's
        settings["population"] = with_population(overrides["dataset"], settings.get("population", 0))
        if overrides["dataset"] == TABLE:
            settings.update(TABLE_RUNS[profile])
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


def check_seeds(seeds, name: str = "seeds") -> list[int]:
    if not seeds or not all(isinstance(s, int) for s in seeds):
        raise ValueError(f"{name} must be a non-empty list of integers (e.g. [0, 1, 2]), got {seeds!r}.")
    return list(seeds)


# --- sweeps (notebooks 02-04 and 07, and notebook 00's CNN): a cheaper run per cell, repeated over seeds ---

SWEEP_SCALE = {
    # The same runs as notebook 01, evaluated less often (sweeps use the final epoch), repeated over seeds.
    # Each sweep's own axis (weights, widths, sizes) is its study's SCALE (fairgap.studies.f2_strength, ...).
    "smoke": dict(overrides={"epochs": 2}, seeds=[0], primary_seeds=[0], size_pool={}),
    # Evaluated at the start and the last epoch only (figures and claims use the final epoch; early
    # stopping in notebook 07 sets its own eval_every). Ten seeds (``primary_seeds``) for the settings
    # behind a primary claim (``fairgap.claims.primary``), including every weight of notebook 02's
    # equalized-odds penalty, whose claims choose their weights from the results: the t-interval's
    # half-width is then 2.26 s/√10 = 0.72 s. Three for exploratory settings (4.30 s/√3 = 2.48 s: a
    # description of the runs, not a finding), so that the default profile stays near its 60-minute budget
    # on 2 cores (bench/README.md). ``size_pool``: the faces notebook 04's sizes (and notebook 00's CNN)
    # draw from.
    "default": dict(overrides={"eval_every": 30}, seeds=[0, 1, 2], primary_seeds=list(range(10)),
                    size_pool={"n_train": 2000}),
    "paper": dict(overrides={"eval_every": 5}, seeds=[0, 1, 2], primary_seeds=list(range(10)), size_pool={}),
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
    """The profile's RunConfig at sweep scale, with ``overrides`` on top. A sweep evaluated at the profile's
    last epoch only is evaluated at its run's last epoch only, however many epochs the run trains (a table's MLP
    trains 200, the faces' CNN 30)."""
    scale = dict(sweep_scale(profile)["overrides"])
    scale.update(overrides)
    config = base_config(profile, **scale)
    if "eval_every" not in overrides and scale.get("eval_every") == PROFILES[profile]["epochs"]:
        config = config.replace(eval_every=config.epochs)
    return config


def capacity_or_size(profile: str, axis: str, values: list, methods: dict[str, dict], seeds: list[int],
                     executor: str = "auto", dataset: str | None = None, data: dict | None = None,
                     primary_seeds: list[int] | None = None, notebook: str | None = None,
                     **overrides) -> pd.DataFrame:
    """F3/F4's data: each labelled method spec at each value of ``axis`` ("width" or "n_train"), over seeds
    (the methods behind the notebook's primary claim over ``primary_seeds``; None: the profile's).
    ``dataset`` None: the profile's; ``data`` merges over the profile's dataset options (and, for
    "n_train" on the profile's dataset, over the pool the sizes are drawn from). ``notebook``: whose primary
    settings get ``primary_seeds`` (None: notebook 03's for "width", 04's for "n_train"; on a table, its
    ``fairgap.paths.notebook_key``)."""
    from .claims.primary import seeds_for

    if axis not in ("width", "n_train"):
        raise ValueError(f"axis must be 'width' or 'n_train', got {axis!r}.")
    overrides.update(dataset_overrides(dataset, data))
    if axis == "n_train" and overrides.get("dataset", PROFILES[profile]["dataset"]) == PROFILES[profile]["dataset"]:
        overrides["data"] = {**sweep_scale(profile)["size_pool"], **overrides["data"]}
    elif axis == "width" and overrides.get("dataset") != "table":  # a table's MLP has its own (TABLE_RUNS)
        overrides.setdefault("model", "small_cnn")  # the one model with a width knob
    base = sweep_base(profile, **overrides)
    notebook = notebook or ("03_model_capacity" if axis == "width" else "04_training_set_size")
    primary_seeds = sweep_scale(profile)["primary_seeds"] if primary_seeds is None else primary_seeds
    specs = [{"label": label, **spec, axis: value, "seeds": seeds_for(notebook, {**spec, axis: value}, seeds, primary_seeds)}
             for label, spec in methods.items() for value in values]
    return run_sweep(plan(base, specs, seeds), executor=sweep_executor(profile, executor),
                     progress=profile != "smoke")
