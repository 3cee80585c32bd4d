"""Benchmarks, side by side in one run (not part of the tests; nothing here asserts a time).

    .venv/bin/python bench/bench.py [--quick] [--only NAME ...] [--run-all] [--run-seconds S]

Every figure is printed with the 1-minute load average at the moment it was taken: on a 2-core
machine one other busy process changes a ratio by 2-4x, so only numbers taken at a load near the
benchmark's own (about 1-2) are comparable. Sections:

1. metrics: ``fairgap.metrics.evaluate`` (bincount counts, rank AUC) against the fairlearn
   MetricFrame reference, per call on 2,000 examples.
2. engine: ``fairgap.train.train`` against a bare PyTorch loop on the same model, tensors,
   optimizer, batch size and thread count; both evaluate the full train and test splits every epoch.
3. sweep: K configurations through ``run_sweep`` on local processes (one per core, one thread
   each) against the same K one after another in this process.
4. ensemble: K small CNNs trained one after another against the same K as one grouped
   (vectorised) network, one process and one thread: what a torch.func/vmap ensemble could buy.
5. data: generating the default synthetic faces, loading them from the cache; 20,000 faces at 64 px.
6. startup: a fresh interpreter importing what a notebook imports; ``run_all.sh`` refusing a bad profile.
7. flops: how close a default run is to this CPU's limit: the FLOPs of one run of notebook 02's sweeps
   (counted with ``torch.utils.flop_counter``) per second of its wall time (``--run-seconds``, else one
   run timed), against one core's float32 matmul GFLOP/s; also the small CNN's own achieved rate.
8. cost (``--results DIR --executed DIR``): where a default run's time went, from the timing every
   trained run leaves beside its cache entry (``fairgap.io.write_timing``) and the notebooks' wall times
   (``summary.json``): per notebook, the run-seconds of the settings behind a primary claim (the ones
   trained at 10 seeds or splits) and of the exploratory ones, and the rest (kernel, figures, claims, idle cores).
9. run_all (``--run-all``): ``./run_all.sh`` in the smoke and default profiles from an empty results cache.
Results go to stdout; copy them into bench/README.md with the date and the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load() -> float:
    return os.getloadavg()[0]


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def bench_metrics(quick: bool) -> dict:
    import numpy as np

    from fairgap.metrics import evaluate, reference_evaluate

    rng = np.random.default_rng(0)
    n = 2000
    group = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.4).astype(np.int64)
    score = rng.random(n).astype(np.float32)
    evaluate(y, score, group), reference_evaluate(y, score, group)  # warm-up
    reps = 20 if quick else 100
    t_fast, _ = timed(lambda: [evaluate(y, score, group) for _ in range(reps)])
    t_ref, _ = timed(lambda: [reference_evaluate(y, score, group) for _ in range(max(2, reps // 10))])
    fast, ref = t_fast / reps * 1000, t_ref / max(2, reps // 10) * 1000
    return {"evaluate, 2,000 examples (ms)": fast, "fairlearn MetricFrame reference (ms)": ref,
            "reference / evaluate": ref / fast}


def bare_loop(config, dataset) -> None:
    """The reference: what the engine does, minus everything but the tensor work."""
    import torch
    import torch.nn.functional as F

    from fairgap.models import build_model
    from fairgap.train import Normalizer, seed_everything, torch_threads

    with torch_threads(config.threads):
        seed_everything(config.seed)
        train, test = dataset["train"], dataset["test"]
        model = build_model(config.model, train.images.shape[1], config.width).to(memory_format=torch.channels_last)
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
        normalize = Normalizer(train.images, torch.device("cpu"))
        generator = torch.Generator().manual_seed(config.seed)

        def evaluate_splits():  # forward passes only: the engine's metrics are what the ratio measures
            model.eval()
            with torch.inference_mode():
                for split in (train, test):
                    for i in range(0, len(split), 512):
                        torch.sigmoid(model(normalize(split.images[i:i + 512])))

        evaluate_splits()  # the untrained model, as the engine's epoch 0
        for _ in range(config.epochs):
            model.train()
            for index in torch.randperm(len(train), generator=generator).split(config.batch_size):
                loss = F.binary_cross_entropy_with_logits(model(normalize(train.images[index])),
                                                          train.target[index].float())
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            schedule.step()
            evaluate_splits()


def bench_engine(quick: bool) -> dict:
    from fairgap.profiles import base_config
    from fairgap.train import prepare_dataset, train

    # The default profile's run (1,000 faces at 32 px, small CNN at width 0.5, batches of 64, 1 thread).
    config = base_config("default", data={"n_val": 0}, epochs=3 if quick else 8)
    dataset = prepare_dataset(config)
    bare_loop(config.replace(epochs=1), dataset)  # warm-up: oneDNN primitive creation
    t_bare, _ = timed(bare_loop, config, dataset)
    t_engine, _ = timed(train, config, dataset)
    return {"bare loop (s)": t_bare, "engine (s)": t_engine, "engine / bare": t_engine / t_bare}


def bench_sweep(quick: bool) -> dict:
    from fairgap.profiles import sweep_base
    from fairgap.paths import available_cores
    from fairgap.sweep import plan, product, run_sweep

    # Full-length default runs: workers start (spawn, imports) once per sweep, which short runs overstate.
    base = sweep_base("default", epochs=2 if quick else 30)
    runs = plan(base, product(method=["equalized_odds_max_penalty"], weight=[0.1, 0.3, 1.0, 3.0]), seeds=[0])
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        os.environ["FAIRGAP_RESULTS"] = a
        t_seq, _ = timed(run_sweep, runs, executor="sequential", progress=False)
        os.environ["FAIRGAP_RESULTS"] = b
        t_par, _ = timed(run_sweep, runs, executor="processes", progress=False)
    return {"K runs": len(runs), "workers": available_cores(), "sequential (s)": t_seq, "processes (s)": t_par,
            "throughput, processes / sequential": t_seq / t_par}


def grouped_small_cnn(k: int, width: float):
    """K independent small CNNs as one network: every conv has groups=K, so model i sees only its own
    input channels; BatchNorm, ReLU and pooling act per channel, hence per model."""
    import torch
    from torch import nn

    channels = [max(1, round(c * width)) for c in (16, 32, 64)]
    layers, previous = [], 3
    for c in channels:
        layers += [nn.Conv2d(k * previous, k * c, 3, padding=1, bias=False, groups=k), nn.BatchNorm2d(k * c),
                   nn.ReLU(inplace=True), nn.Conv2d(k * c, k * c, 3, padding=1, bias=False, groups=k),
                   nn.BatchNorm2d(k * c), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        previous = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Conv2d(k * previous, k, 1, groups=k), nn.Flatten()]
    return nn.Sequential(*layers).to(memory_format=torch.channels_last)


def bench_ensemble(quick: bool) -> dict:
    import torch
    import torch.nn.functional as F

    from fairgap.models import build_model
    from fairgap.train import torch_threads

    k, steps, width, batch = 5, 8 if quick else 32, 0.5, 64
    x = torch.randn(batch, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 2, (batch,)).float()

    def separate():
        for _ in range(k):
            model = build_model("small_cnn", 3, width).to(memory_format=torch.channels_last)
            opt = torch.optim.AdamW(model.parameters(), 1e-3)
            for _ in range(steps):
                opt.zero_grad()
                F.binary_cross_entropy_with_logits(model(x), y).backward()
                opt.step()

    def grouped():
        model = grouped_small_cnn(k, width)
        opt = torch.optim.AdamW(model.parameters(), 1e-3)
        xs = x.repeat(1, k, 1, 1).contiguous(memory_format=torch.channels_last)  # model i's batch in channels 3i..3i+2
        for _ in range(steps):
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(model(xs), y[:, None].expand(-1, k), reduction="sum").backward()
            opt.step()

    with torch_threads(1):
        separate(), grouped()  # warm-up
        t_sep, _ = timed(separate)
        t_grp, _ = timed(grouped)
    return {"K models": k, f"{k} separate models, {steps} steps each (s)": t_sep,
            f"one grouped network of {k} (s)": t_grp, "separate / grouped": t_sep / t_grp}


def bench_data() -> dict:
    from fairgap.data import load_dataset

    with tempfile.TemporaryDirectory() as folder:
        os.environ["FAIRGAP_DATA"] = folder
        t_first, _ = timed(load_dataset, "synthetic_faces")
        t_cached, _ = timed(load_dataset, "synthetic_faces")
        t_20k, _ = timed(load_dataset, "synthetic_faces", n_train=20000, n_val=0, n_test=1, image_size=64, cache=False)
    return {"generate + cache default (s)": t_first, "cached load (s)": t_cached,
            "generate / cached": t_first / t_cached, "20k images at 64 px (s)": t_20k}


def bench_startup() -> dict:
    imports = "import fairgap.profiles, fairgap.sweep, fairgap.plots, fairgap.figures, fairgap.widgets, sys; " \
              "print('torchvision' in sys.modules)"
    t_import, proc = timed(subprocess.run, [sys.executable, "-c", imports], capture_output=True, text=True)
    with tempfile.TemporaryDirectory() as folder:
        venv = Path(folder) / "venv"
        t_bad, bad = timed(subprocess.run, [str(ROOT / "run_all.sh"), "--profile", "nonsense"], cwd=ROOT,
                           capture_output=True, text=True, env={**os.environ, "FAIRGAP_VENV": str(venv)})
        created = venv.exists()
    return {"import a notebook's modules, fresh interpreter (s)": t_import,
            "torchvision imported": proc.stdout.strip(),
            "run_all.sh --profile nonsense, no venv (s)": t_bad, "its exit code": bad.returncode,
            "a venv was created": created}


# One cell of notebook 02's sweeps (constraint_strength): a penalty at a middle weight after 2 ERM epochs.
# The penalty and ERM cost the same counted FLOPs (the penalty is elementwise work on the logits).
NOTEBOOK_02_CELL = {"method": "equalized_odds_max_penalty", "weight": 1.0, "warmup_epochs": 2}
COUNTED = ("convolutions and matrix products, forward and backward (torch.utils.flop_counter); "
           "not counted: BatchNorm, ReLU, pooling, loss, penalty, optimizer step")


def flops_config(profile: str):
    """The RunConfig of one run of notebook 02's sweeps in ``profile``, on the CPU at its one thread."""
    from fairgap.profiles import sweep_base
    from fairgap.sweep import method_config

    return method_config(sweep_base(profile, device="cpu"), NOTEBOOK_02_CELL)


def balanced_batch(batch_size: int, image_shape: tuple):
    """Random images (channels_last, as fairgap.train feeds them) with both classes in both groups."""
    import torch

    index = torch.arange(batch_size)
    x = torch.randn(batch_size, *image_shape).contiguous(memory_format=torch.channels_last)
    return x, (index % 2).float(), (index // 2) % 2


def step_setup(config, image_shape: tuple):
    """The model, optimizer and objective of ``config`` as fairgap.train builds them (CPU, channels_last)."""
    import torch

    from fairgap.fairness import make_objective
    from fairgap.models import build_model
    from fairgap.train import build_optimizer

    model = build_model(config.model, image_shape[0], config.width).to(memory_format=torch.channels_last)
    objective = make_objective(config.method, config.method_params)
    objective.setup(model, torch.device("cpu"))
    return model, build_optimizer(config, model.parameters()), objective


def count_step_flops(config, image_shape: tuple, batch_size: int) -> dict[str, int]:
    """Counted FLOPs (see ``COUNTED``) of one training step of ``config``'s objective on a batch of
    ``batch_size`` images of ``image_shape`` (C, H, W), and of one forward pass of that batch in
    evaluation mode."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model, optimizer, objective = step_setup(config, image_shape)
    x, y, g = balanced_batch(batch_size, image_shape)
    model.train()
    with FlopCounterMode(display=False) as step:
        objective.train_step(model, optimizer, x, y, g)
    model.eval()
    with torch.inference_mode(), FlopCounterMode(display=False) as forward:
        model(x)
    return {"train_step": step.get_total_flops(), "forward": forward.get_total_flops()}


def evaluation_schedule(config, dataset, population_scored: int | None = None) -> dict[str, int]:
    """Examples one run passes forward for evaluation, by the engine's schedule: epoch 0 (only when the
    run tracks a trajectory, ``eval_every`` < ``epochs``), every ``eval_every``-th epoch and the last, on
    the splits of ``fairgap.train.evaluated_splits``; then the population, once for the final model:
    ``population_scored`` examples (what a run's history says it scored; None: the whole sample, an upper
    bound, since a run stops once its rates are precise). Keys name the epoch (and splits) or "population"."""
    from fairgap.train import evaluated_epochs, evaluated_splits

    schedule = {}
    for epoch in sorted(evaluated_epochs(config)):
        names = evaluated_splits(dataset, config, every_split=epoch in (0, config.epochs))
        schedule[f"epoch {epoch} ({'+'.join(names)})"] = sum(len(dataset[name]) for name in names)
    scored = config.population if population_scored is None else population_scored
    return {**schedule, "population": scored} if scored else schedule


def population_scored(history) -> int:
    """How many population examples a run scored (its history's overall "n" on the population; 0 if none)."""
    rows = history[(history.split == "population") & (history.metric == "n") & (history.group == "all")]
    return int(rows.value.iloc[0]) if len(rows) else 0


def run_flops(config, dataset, population: int | None = None) -> dict[str, float]:
    """Counted FLOPs of one run of ``config`` on ``dataset``: every training example passes forward and
    backward once per epoch (FLOPs are linear in the batch, so the last, smaller batch is exact), and
    every evaluated example passes forward once (``population``: the population examples it scored)."""
    counted = count_step_flops(config, dataset.image_shape, config.batch_size)
    per_example = {name: flops / config.batch_size for name, flops in counted.items()}
    train = config.epochs * len(dataset["train"]) * per_example["train_step"]
    evaluation = sum(evaluation_schedule(config, dataset, population).values()) * per_example["forward"]
    return {**counted, "train": train, "evaluation": evaluation, "total": train + evaluation}


def matmul_gflops(sizes: list[int], repeats: int) -> dict[int, float]:
    """One core's float32 matmul rate, 2 n^3 / (best time of ``repeats``), per square size n."""
    import torch

    from fairgap.train import torch_threads

    rates = {}
    with torch_threads(1):
        for n in sizes:
            a, b = torch.randn(n, n), torch.randn(n, n)
            a @ b  # warm-up
            rates[n] = 2 * n ** 3 / min(timed(torch.mm, a, b)[0] for _ in range(repeats)) / 1e9
    return rates


def cnn_seconds(config, dataset, steps: int) -> dict[str, float]:
    """Seconds of one real training step (a batch of the config's size, its objective and optimizer,
    one thread, channels_last) and of one evaluation forward pass over the test split
    (fairgap.train.predict_scores), each the mean after a warm-up."""
    import torch

    from fairgap.train import Normalizer, predict_scores, torch_threads

    model, optimizer, objective = step_setup(config, dataset.image_shape)
    x, y, g = balanced_batch(config.batch_size, dataset.image_shape)
    normalize = Normalizer(dataset["train"].images, torch.device("cpu"))
    test = dataset["test"].images

    def train_steps(k):
        model.train()
        for _ in range(k):
            objective.train_step(model, optimizer, x, y, g)

    with torch_threads(config.threads):
        train_steps(2), predict_scores(model, test, normalize)  # warm-up: oneDNN primitive creation
        t_step, _ = timed(train_steps, steps)
        t_eval, _ = timed(predict_scores, model, test, normalize)
    return {"train_step": t_step / steps, "evaluate_test": t_eval}


def bench_flops(quick: bool, run_seconds: float | None) -> dict:
    from fairgap.data import load_population
    from fairgap.train import prepare_dataset, train

    profile = "smoke" if quick else "default"  # --quick checks the script on tiny data, not the numbers
    config = flops_config(profile)
    dataset = prepare_dataset(config)
    peak_by_size = matmul_gflops([256, 512] if quick else [512, 1024, 2048], 2 if quick else 5)
    peak = max(peak_by_size.values())
    seconds = cnn_seconds(config, dataset, 2 if quick else 30)
    scored = None   # the whole population: an upper bound, without a run to say what it scored
    if run_seconds is None:  # one real run, uncached, its data and population already generated
        load_population(config.dataset, config.population, **config.data)
        run_seconds, result = timed(train, config, dataset)
        scored = population_scored(result.history)
        source = "measured: one run, one thread"
    else:
        source = "given: --run-seconds (population counted whole)"
    flops = run_flops(config, dataset, scored)
    schedule = evaluation_schedule(config, dataset, scored)
    n_train, n_eval = len(dataset["train"]), sum(schedule.values())
    step_rate = flops["train_step"] / seconds["train_step"] / 1e9
    eval_rate = flops["forward"] / config.batch_size * len(dataset["test"]) / seconds["evaluate_test"] / 1e9
    run_rate = flops["total"] / run_seconds / 1e9
    size = dataset.image_shape[-1]
    return {
        "run": f"{profile} profile, {config.method} w={config.method_params['weight']}, small CNN width "
               f"{config.width}, {n_train} training images at {size} px, batch {config.batch_size}, "
               f"{config.epochs} epochs",
        "counted": COUNTED,
        f"training step, batch {config.batch_size} (MFLOP)": flops["train_step"] / 1e6,
        f"forward, batch {config.batch_size} (MFLOP)": flops["forward"] / 1e6,
        "training FLOPs per run (GFLOP)": flops["train"] / 1e9,
        "  = epochs x n_train x step FLOPs / batch": f"{config.epochs} x {n_train} x step / {config.batch_size}",
        "evaluated examples per run": n_eval,
        "  = evaluated epochs' splits + population": " + ".join(f"{n} {when}" for when, n in schedule.items()),
        "evaluation FLOPs per run (GFLOP)": flops["evaluation"] / 1e9,
        "  = evaluated examples x forward FLOPs / batch": f"{n_eval} x forward / {config.batch_size}",
        "total FLOPs per run (GFLOP)": flops["total"] / 1e9,
        **{f"one-core float32 matmul n={n} (GFLOP/s)": rate for n, rate in peak_by_size.items()},
        "one-core matmul peak, best size (GFLOP/s)": peak,
        "small CNN training step, achieved (GFLOP/s)": step_rate,
        "  training step / matmul peak": step_rate / peak,
        f"small CNN evaluation forward of {len(dataset['test'])}, achieved (GFLOP/s)": eval_rate,
        "  evaluation forward / matmul peak": eval_rate / peak,
        f"run wall time (s), {source}": float(run_seconds),
        "run, total FLOPs / wall time (GFLOP/s)": run_rate,
        "  run / matmul peak": run_rate / peak,
        "lower bound on a run's time at the matmul peak (s)": flops["total"] / peak / 1e9,
    }


# Settings behind a primary claim run the profile's 10 primary seeds or splits (0-9; fairgap.profiles.SWEEP_SCALE,
# the studies' SCALE); exploratory ones 3 (sweeps), 5 (notebook 08's face subsets) or 50 (08's size sweep).
PRIMARY_SEEDS = 10


def trained_runs(results: Path):
    """One row per run (image, verification or classical fit) trained into the cache ``results`` that left a timing:
    notebook, kind, its setting (the config but its seeds, as JSON), seed, seconds and load average."""
    import json

    import pandas as pd

    rows = []
    for kind in ("runs", "verification", "classical"):
        for timing_file in sorted((Path(results) / kind).glob("*/timing.json")):
            timing = json.loads(timing_file.read_text())
            config = json.loads((timing_file.parent / "config.json").read_text())
            seed = config.pop("seed")
            config.pop("data_seed", None)
            rows.append({"notebook": timing.get("notebook") or "(none)", "kind": kind, "seed": seed,
                         "setting": json.dumps(config, sort_keys=True), "seconds": timing["seconds"],
                         "load_average": timing["load_average"]})
    return pd.DataFrame(rows, columns=["notebook", "kind", "seed", "setting", "seconds", "load_average"])


def time_by_claims(runs, wall: dict[str, float], cores: int):
    """Per notebook: its wall time, the runs it trained, their run-seconds split into primary settings (a
    setting whose highest seed is the ``PRIMARY_SEEDS``-th above the notebook's lowest: only settings behind a
    primary claim run 10 seeds; a setting's first seeds may have been served by another notebook's runs) and
    exploratory ones, and an estimate of the notebook without its exploratory runs (wall − their run-seconds
    / ``cores``: the runs share the cores, one per core)."""
    import pandas as pd

    rows = []
    for notebook in sorted(set(wall) | set(runs.notebook)):
        mine = runs[runs.notebook == notebook]
        highest = (mine.seed - (mine.seed.min() if len(mine) else 0)).groupby(mine.setting).transform("max")
        primary = highest == PRIMARY_SEEDS - 1
        seconds = wall.get(notebook, float("nan"))
        exploratory = float(mine.seconds[~primary].sum())
        rows.append({"notebook": notebook, "wall_s": seconds, "runs": len(mine),
                     "run_s_primary": float(mine.seconds[primary].sum()), "runs_primary": int(primary.sum()),
                     "run_s_exploratory": exploratory, "runs_exploratory": int((~primary).sum()),
                     "rest_s": seconds - float(mine.seconds.sum()) / cores,
                     "wall_without_exploratory_s": seconds - exploratory / cores,
                     "load_average_mean": float(mine.load_average.mean()) if len(mine) else float("nan")})
    return pd.DataFrame(rows)


def bench_cost(results: Path, executed: Path) -> dict:
    import json

    summary = Path(executed) / "summary.json"
    if not summary.is_file():
        return {"skipped": f"no {summary}: run ./run_all.sh first, or pass --executed (and --results) of a run"}
    wall = {entry["notebook"]: entry["seconds"] for entry in json.loads(summary.read_text())["notebooks"]}
    table = time_by_claims(trained_runs(results), wall, cores=len(os.sched_getaffinity(0)))
    print(table.round(1).to_string(index=False))
    total = table.sum(numeric_only=True)
    return {"notebooks' wall time (min)": total.wall_s / 60, "runs trained": int(total.runs),
            "run time, primary settings (core-min)": total.run_s_primary / 60,
            "run time, exploratory settings (core-min)": total.run_s_exploratory / 60,
            "the run without exploratory settings (min, estimate)": total.wall_without_exploratory_s / 60}


def bench_run_all() -> dict:
    out = {}
    for profile in ("smoke", "default"):
        with tempfile.TemporaryDirectory() as results:
            t, proc = timed(subprocess.run, [str(ROOT / "run_all.sh"), "--profile", profile], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "FAIRGAP_RESULTS": results})
        out[f"run_all.sh --profile {profile}, empty cache (s)"] = t
        out[f"run_all.sh --profile {profile} exit"] = proc.returncode
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (checks the script, not the numbers)")
    parser.add_argument("--only", nargs="+", help="run only these sections")
    parser.add_argument("--run-all", action="store_true", help="also time ./run_all.sh (smoke and default)")
    parser.add_argument("--run-seconds", type=float, help="flops: a default run's wall time (s) to rate, "
                        "instead of timing one run here")
    parser.add_argument("--results", type=Path, default=Path(os.environ.get("FAIRGAP_RESULTS", ROOT / "results")),
                        help="cost: the results cache of the run to read (default: FAIRGAP_RESULTS or results/)")
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed" / "default",
                        help="cost: the folder of that run's executed notebooks and summary.json")
    args = parser.parse_args()
    if args.run_seconds is not None and (args.run_seconds <= 0 or args.quick):
        parser.error("--run-seconds must be a positive wall time of a default-profile run, without --quick "
                     f"(--quick rates a smoke-profile run); got {args.run_seconds}")
    import torch

    print(f"torch {torch.__version__}, {os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"load average at start {load():.2f}")
    sections = {"metrics": lambda: bench_metrics(args.quick), "engine": lambda: bench_engine(args.quick),
                "sweep": lambda: bench_sweep(args.quick), "ensemble": lambda: bench_ensemble(args.quick),
                "data": bench_data, "startup": bench_startup,
                "flops": lambda: bench_flops(args.quick, args.run_seconds),
                "cost": lambda: bench_cost(args.results, args.executed)}
    if args.run_all:
        sections["run_all"] = bench_run_all
    for name, fn in sections.items():
        if args.only and name not in args.only:
            continue
        before = load()
        results = fn()
        print(f"\n[{name}]  load average before {before:.2f}, after {load():.2f}")
        for key, value in results.items():
            print(f"  {key:<52} {value:.3f}" if isinstance(value, float) else f"  {key:<52} {value}")


if __name__ == "__main__":
    main()
