"""A grid of configs times seeds in, one tidy results table out; resumable and parallel.

Every run is cached by ``fairgap.train.run`` the moment it finishes, so an interrupted
sweep (Ctrl-C, a killed kernel, a lost worker) resumes by loading the finished runs and
training only the rest. ``train_pending`` is the one scheduler of every cached job: image runs
(``RunConfig``), verification runs (``fairgap.verification``) and classical fits
(``fairgap.classical_fits.ClassicalFit``) alike: a config with ``key()`` and ``threads``, a cache folder
per key (``config.json``, its tables, ``info.json`` last), and load / train / worker functions. Execution:

* ``"sequential"``: one run after another in this process.
* ``"processes"``: local worker processes (spawned, so it works from Jupyter), one per core
  (each run uses ``config.threads`` torch threads, 1 by default: ``cores // threads`` workers).
* ``"dask"``: a Dask distributed cluster (``pip install -e '.[distributed]'``): pass a
  ``dask.distributed.Client`` to use yours, or get a LocalCluster on this machine.
* a scheduler address (``"tcp://host:8786"``), or ``DASK_SCHEDULER_ADDRESS`` set (Dask's own
  configuration variable) with executor "auto" or "dask": the runs go to that existing cluster.

On Dask, results come back through Dask, not through a shared disk: a worker trains the run into its
own cache (its ``FAIRGAP_RESULTS``; data from its ``FAIRGAP_DATA``), or finds it there, and returns the
entry's files as bytes (``train.export_entry``); the client writes them into its own cache atomically
(``train.import_entry``). So resume and the tables work whatever the workers' disks are.

A run's numbers depend only on its config and seed: the torch thread count, which orders float
reductions, is part of the config (``RunConfig.threads``) and set by ``train`` itself, so the three
executors give identical histories. On small CNNs one thread per run and one run per core is also
the fastest layout (OpenMP synchronisation between two threads costs more than it saves).

Dask rather than Ray: it is a pure-Python install that CI can run as a local cluster in
seconds, and a Client is all a user needs to move the same sweep onto a cluster (SLURM,
Kubernetes) through dask-jobqueue or dask-kubernetes.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .paths import available_cores, data_dir, results_dir
from .progress import track
from .train import SELECTION, RunConfig, data_seed_of, export_entry, import_entry, load_cached, run, run_folder

EXECUTORS = ("auto", "sequential", "processes", "dask")
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"  # Dask's own configuration variable (config "scheduler-address")


@dataclass
class SweepRun:
    """One cell of the grid at one seed: the labels it appears under, and its config."""

    labels: dict
    config: RunConfig


def product(**axes) -> list[dict]:
    """The cartesian product of axes, as a list of dicts: product(method=[a, b], weight=[1, 2])."""
    names = list(axes)
    return [dict(zip(names, values)) for values in itertools.product(*(axes[n] for n in names))]


def method_config(base: RunConfig, spec: dict) -> RunConfig:
    """``spec`` is {"method": name, **method parameters, [warmup_epochs], [any RunConfig field]}."""
    spec = dict(spec)
    if "method" not in spec:
        raise ValueError(f"Method spec {spec} needs a 'method' key naming a fairness method.")
    run_fields = {f.name for f in dataclasses.fields(RunConfig)} - {"method", "method_params"}
    overrides = {k: spec.pop(k) for k in list(spec) if k in run_fields}
    method = spec.pop("method")
    return base.replace(method=method, method_params=spec, **overrides).validate()


def plan(base: RunConfig, specs: list[dict], seeds=(0,)) -> list[SweepRun]:
    """Each spec ({"method": ..., method parameters, RunConfig fields}) at each seed.

    An optional "label" key names the spec in the results table without entering the config; an
    optional "seeds" key gives that spec its own seeds (the settings behind a primary claim run at more
    seeds than the rest). Every config is validated here, before anything trains.
    """
    runs = []
    for spec in specs:
        settings = {k: v for k, v in spec.items() if k not in ("label", "seeds")}
        labels = {k: v for k, v in spec.items() if k != "seeds"}
        for seed in spec.get("seeds", seeds):
            config = method_config(base, {"method": base.method, **settings, "seed": seed})
            runs.append(SweepRun({**labels, "seed": seed}, config))
    return runs


def _run_one(config: dict, results: str, data: str) -> str:
    """Worker entry point: train one config into the shared cache; returns its key."""
    os.environ["FAIRGAP_RESULTS"], os.environ["FAIRGAP_DATA"] = results, data
    return run(RunConfig(**config)).config.key()


def run_sweep(runs: list[SweepRun], executor: str = "auto", workers: int | None = None, progress: bool = True,
              client=None) -> pd.DataFrame:
    """Run (or load) every run; return the tidy table of all histories with the runs' labels."""
    train_pending([(r.labels, r.config) for r in runs], load_cached, run, _run_one, run_folder, executor=executor,
                  workers=workers, progress=progress, client=client, desc="sweep runs")
    return results_table(runs)


def scheduler_address(executor: str = "auto") -> str | None:
    """The Dask scheduler that ``executor`` sends runs to: the executor itself when it is an address
    ("tcp://host:8786"), else ``DASK_SCHEDULER_ADDRESS`` for executor "auto" or "dask"; None: no cluster."""
    if "://" in executor:
        return executor
    return (os.environ.get(SCHEDULER_VARIABLE) or None) if executor in ("auto", "dask") else None


def train_pending(jobs: list[tuple], load, train_one, worker, folder, executor: str = "auto",
                  workers: int | None = None, progress: bool = True, client=None, desc: str = "runs") -> None:
    """Train every config of ``jobs`` ((labels, config) pairs) that ``load`` finds no cached result for,
    identical configs once, each caching its own result.

    ``train_one(config)`` trains here (executor "sequential"); ``worker(payload, results, data)`` is the
    module-level function that trains one in a worker process ("processes", Dask) into the results folder
    it is given, from the config's payload (``config.payload()`` where the config defines it, else its fields
    as a dict: see ``_payload``); ``folder(config)`` is a run's cache folder (the entry a Dask worker sends
    back). "auto"
    picks a configured Dask scheduler (``scheduler_address``), else processes when more than one run is
    left and the cores allow more than one worker (``cores // threads``).
    """
    address = scheduler_address(executor)
    if executor not in EXECUTORS and address is None:
        raise ValueError(f"Unknown executor {executor!r}. Valid executors: {', '.join(EXECUTORS)}, or a Dask "
                         "scheduler address such as 'tcp://host:8786'.")
    todo, cached = {}, {}
    for labels, config in jobs:
        key = config.key()
        if key not in todo and key not in cached:
            (cached if load(config) is not None else todo)[key] = (labels, config)
    todo = list(todo.values())
    threads = max([config.threads for _, config in todo] or [1])
    workers = min(workers or max(1, available_cores() // threads), max(1, len(todo)))
    # The bar (tqdm, where asked for) and run_all.sh's progress report (fairgap.progress, where it asks for one)
    # count distinct runs, as they are trained.
    bar = track(len(todo) + len(cached), len(cached), workers, bar=progress and bool(todo), desc=desc,
                cached_folders=lambda: (folder(config) for _, config in cached.values()))
    if not todo:
        bar.close()
        return
    if address is not None or client is not None:
        executor = "dask"
    elif executor == "auto":
        executor = "processes" if workers > 1 and len(todo) > 1 else "sequential"
    try:
        if executor == "sequential":
            for _, config in todo:
                bar.timed(train_one, config)
        elif executor == "processes":
            run_in_processes(worker, [(labels, _payload(config)) for labels, config in todo], workers, bar)
        else:
            _run_dask(worker, folder, load, todo, workers, bar, client, address)
    finally:
        bar.close()


def _payload(config) -> tuple:
    """A worker's arguments for ``config``: what it rebuilds the config from (the config's own ``payload()``,
    e.g. a classical fit with the picklable splitter of its data, else the config's fields as a dict), and
    this process's results and data folders."""
    own = getattr(config, "payload", None)
    return (own() if own is not None else dataclasses.asdict(config)), str(results_dir()), str(data_dir())


def run_in_processes(function, jobs: list[tuple], workers: int, bar=None) -> None:
    """Call ``function(*arguments)`` for each (labels, arguments) of ``jobs`` on ``workers``
    spawned processes. Each job caches its own result, so an interrupted pool loses nothing finished;
    a failure names the job's labels."""
    import multiprocessing

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(function, *arguments): labels for labels, arguments in jobs}
        try:
            for future in as_completed(futures):
                _raise_with_labels(future, futures[future])
                bar and bar.update()
        except BrokenProcessPool as err:
            pool.shutdown(wait=False, cancel_futures=True)
            raise RuntimeError(
                "A sweep worker process died. In a plain Python script, put the code that starts the sweep "
                "under `if __name__ == \"__main__\":` (worker processes are spawned and re-import the "
                "script), or pass executor=\"sequential\". Finished runs are cached; rerunning resumes.") from err
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # finished runs are already cached
            raise


def _run_dask(worker, folder, load, todo, workers, bar, client, address) -> None:
    """Submit each run to Dask (``client``, else the scheduler at ``address``, else a new LocalCluster);
    write each run's returned cache entry into this process's results folder as it arrives."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed as dask_completed
    except ImportError as err:
        raise ImportError("Running sweeps on Dask needs Dask distributed: pip install -e '.[distributed]' "
                          f"(or unset {SCHEDULER_VARIABLE} / pass executor='processes').") from err
    own = client is None
    if own:
        client = _connect(Client, address) if address else \
            Client(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True))
    try:
        futures = {client.submit(_train_on_worker, worker, folder, config, pure=False): (labels, config)
                   for labels, config in todo}
        for future in dask_completed(list(futures)):
            labels, config = futures[future]
            files = _raise_with_labels(future, labels)
            if load(config) is None:  # else this client shares the worker's disk (a LocalCluster)
                import_entry(folder(config), files)
                if load(config) is None:
                    raise RuntimeError(f"Sweep run {labels}: the entry the Dask worker returned is not a readable "
                                       f"cache entry ({sorted(files)}); rerun the sweep to train it again.")
            bar and bar.update()
    finally:
        if own:
            cluster = None if address else client.cluster
            client.close()
            cluster and cluster.close()


def _connect(Client, address: str):
    """A Client of the scheduler at ``address``; an unreachable one is named with what to do."""
    source = f"{SCHEDULER_VARIABLE}={address}" if os.environ.get(SCHEDULER_VARIABLE) == address else \
        f"executor={address!r}"
    try:
        client = Client(address)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConnectionError(
            f"Cannot reach the Dask scheduler at {address} (from {source}): {err}. Start one (`dask scheduler`, "
            f"then `dask worker {address}` on each worker machine), fix the address, or unset "
            f"{SCHEDULER_VARIABLE} / pass executor='processes' to run on this machine.") from err
    if not client.scheduler_info().get("workers"):
        import warnings

        warnings.warn(f"The Dask scheduler at {address} has no workers yet; the runs wait until one connects "
                      f"(`dask worker {address}`).", stacklevel=4)
    return client


def _train_on_worker(worker, folder, config) -> dict[str, bytes]:
    """Dask task: train ``config`` into this worker's own cache (its FAIRGAP_RESULTS, data from its
    FAIRGAP_DATA), or find it there already trained, and return the entry's files as bytes. An error
    names the worker, since the cause (a missing dataset, say) is on that machine."""
    try:
        worker(*_payload(config))
        return export_entry(folder(config))
    except Exception as err:
        from dask.distributed import get_worker

        message = f"on Dask worker {get_worker().address}: {err}"
        try:
            named = type(err)(message)
        except Exception:
            named = RuntimeError(f"{type(err).__name__} {message}")
        raise named from err


def _raise_with_labels(future, labels):
    """The future's result; a failure is re-raised naming the run's labels."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as err:
        raise RuntimeError(f"Sweep run {labels} failed: {type(err).__name__}: {err}") from err


def results_table(runs: list[SweepRun]) -> pd.DataFrame:
    """One row per run, epoch, split, group and metric, with each run's labels and size."""
    frames = []
    for r in runs:
        result = load_cached(r.config)
        if result is None:
            raise RuntimeError(f"Run {r.labels} has no cached result; run the sweep first.")
        # A size the run was asked for (notebook 04's axis) names it, not the size it got: a stratified subsample
        # of a seed's own data can fall one example short, and settings are compared across seeds by their label.
        labels = {"n_train": result.info["n_train"], **r.labels, "run": r.config.key(),
                  "parameters": result.info["parameters"], "data_seed": data_seed_of(r.config)}
        frames.append(result.history.assign(**{k: _cell(v) for k, v in labels.items()}))
    return pd.concat(frames, ignore_index=True)


def _cell(value):
    return value if np.isscalar(value) or value is None else str(value)


def final_epoch(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of each run's result: the epoch a remedy selected, else the last epoch."""
    chosen = table.groupby("run").epoch.max()
    selected = table[table.split == SELECTION].set_index("run").value
    chosen.loc[selected.index] = selected.astype(int)
    return table[table.epoch == table.run.map(chosen)]


def mean_ci(frame: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """Mean and 95% Student-t interval of ``value`` over the rows of each ``by`` cell (the seeds); see
    ``fairgap.evidence``. A cell with one row has no interval (NaN).
    """
    from .evidence import mean_interval

    return mean_interval(frame, by, value)


def final_metric(table: pd.DataFrame, metric: str, group: str = "all") -> pd.DataFrame:
    """One row per run and split: ``metric`` at the run's last epoch, with the run's labels."""
    final = final_epoch(table)
    return final[(final.metric == metric) & (final.group == group)].drop(columns=["metric", "group"])


def train_test_gap(table: pd.DataFrame, metric: str, split: str = "test") -> pd.DataFrame:
    """Per run: ``metric`` on train, on ``split`` (the held-out one: test, or the population), and the gap
    ``split`` − train (the overfitting of fairness)."""
    rows = final_metric(table, metric)
    # Pivot on the run alone: label columns can be NaN for some runs, and NaN keys would be dropped.
    wide = rows.pivot_table(index="run", columns="split", values="value")
    labels = rows.drop(columns=["split", "value", "epoch"]).drop_duplicates("run").set_index("run")
    wide = labels.join(wide[["train", split]]).reset_index()
    wide["gap"] = wide[split] - wide["train"]
    return wide


def gap_summary(table: pd.DataFrame, by: list[str], disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per cell of ``by`` (e.g. label and width): mean train and test accuracy, train and test
    disparity, and the gap test − train with its 95% CI over seeds."""
    gap = train_test_gap(table, disparity)
    accuracy = final_metric(table, "accuracy").pivot_table(index="run", columns="split", values="value")
    per_run = gap.join(accuracy[["train", "test"]].add_suffix("_accuracy"), on="run")
    extra = [c for c in ("parameters",) if c not in by]
    columns = ["train_accuracy", "test_accuracy", "train", "test", "gap"] + extra
    means = per_run.groupby(by)[columns].mean()
    means = means.rename(columns={"train": f"train_{disparity}", "test": f"test_{disparity}"})
    ci = mean_ci(per_run, by=by, value="gap").set_index(by)[["ci_low", "ci_high", "n"]]
    return means.join(ci.rename(columns={"ci_low": "gap_ci_low", "ci_high": "gap_ci_high", "n": "seeds"}))


def pareto_front(points: pd.DataFrame, x: str, y: str) -> pd.Series:
    """True for points no other point beats on both axes (lower ``x`` and higher ``y``)."""
    values = points[[x, y]].to_numpy()
    dominated = [bool(((values[:, 0] <= a) & (values[:, 1] >= b) & ((values[:, 0] < a) | (values[:, 1] > b))).any())
                 for a, b in values]
    return pd.Series([not d for d in dominated], index=points.index)


def remedy_runs(table: pd.DataFrame, disparity: str = "equalized_odds_difference", split: str = "test") -> pd.DataFrame:
    """Per run (its labels, ``seed`` and ``run``): what ``remedy_summary`` averages, in its columns' names: train and
    ``split`` disparity, their ``gap``, ``split`` accuracy overall and per group."""
    final = final_epoch(table)
    gap = train_test_gap(table, disparity, split)
    acc = final[(final.metric == "accuracy") & (final.split == split)]
    per_group = acc.pivot_table(index="run", columns="group", values="value")
    per_run = gap.join(per_group.add_prefix(f"{split} accuracy "), on="run")
    return per_run.rename(columns={"train": f"train {disparity}", split: f"{split} {disparity}",
                                   f"{split} accuracy all": f"{split} accuracy"})


def remedy_summary(table: pd.DataFrame, disparity: str = "equalized_odds_difference",
                   split: str = "test") -> pd.DataFrame:
    """Per label: train and held-out (``split``: test, or the population) disparity, their gap, held-out
    accuracy overall and per group (means over seeds; columns named by the split, e.g. "test accuracy"),
    the 95% Student-t interval over seeds of held-out disparity, held-out accuracy and the
    gap (``<column> ci_low`` / ``<column> ci_high``: symmetric, the claims' interval), the
    number of seeds, Pareto membership of the means (``pareto``), and ``reaches front``: whether the
    point at the favourable ends of its two intervals (lowest disparity, highest accuracy) is not
    dominated by the front's means, i.e. whether the seeds cannot rule out that it belongs on the front."""
    from .evidence import mean_interval

    per_run = remedy_runs(table, disparity, split)
    numeric = [c for c in per_run.columns if c.startswith(("train ", f"{split} ")) or c == "gap"]
    summary = per_run.groupby("label")[numeric].mean()
    for column in (f"{split} {disparity}", f"{split} accuracy", "gap"):
        interval = mean_interval(per_run, by=["label"], value=column).set_index("label")
        summary[f"{column} ci_low"], summary[f"{column} ci_high"] = interval.ci_low, interval.ci_high
    summary["seeds"] = per_run.groupby("label").seed.nunique()
    x, y = f"{split} {disparity}", f"{split} accuracy"
    summary["pareto"] = pareto_front(summary, x, y)
    front = summary.loc[summary.pareto, [x, y]]
    summary["reaches front"] = [
        bool(row.pareto) or bool(pareto_front(pd.concat([front, pd.DataFrame({x: [row[f"{x} ci_low"]],
                                                                              y: [row[f"{y} ci_high"]]})],
                                                        ignore_index=True), x, y).iloc[-1])
        for _, row in summary.iterrows()]
    return summary.sort_values(x)


def collapse_share(table: pd.DataFrame, by: list[str], split: str | None = None) -> pd.DataFrame:
    """Share of seeds whose final model is a constant predictor on ``split``, per cell of ``by`` (trivially
    'fair'). ``split`` None: the held-out split (the population where the runs were scored on one, else test)."""
    from .generalisation import held_out_split

    split = held_out_split(table) if split is None else split
    rows = final_metric(table, "collapsed")
    rows = rows[rows.split == split]
    return rows.groupby(by).value.agg(collapsed_share="mean", seeds="count").reset_index()
