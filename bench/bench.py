"""Benchmarks, side by side in one run (not part of the tests; nothing here asserts a time).

    .venv/bin/python bench/bench.py [--quick] [--run-all]

1. engine: fairgap.train.train against a bare PyTorch loop on the same model, tensors,
   optimizer and batch size; both evaluate the full train and test splits every epoch
   (forward passes); the engine also computes the fairlearn metrics and writes the history.
2. sweep: K configurations through fairgap.sweep.run_sweep (processes) against the same K
   run one after another in this process.
3. data: generating the default synthetic faces against loading them from the cache.
4. run_all (with --run-all): wall time of ./run_all.sh in the smoke and default profiles.
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


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def bare_loop(config, dataset) -> None:
    """The reference: what the engine does, minus everything but the tensor work."""
    import torch
    import torch.nn.functional as F

    from fairgap.models import build_model
    from fairgap.train import Normalizer, seed_everything

    seed_everything(config.seed)
    train, test = dataset["train"], dataset["test"]
    model = build_model(config.model, train.images.shape[1], config.width).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    normalize = Normalizer(train.images, torch.device("cpu"))
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(config.epochs):
        model.train()
        for index in torch.randperm(len(train), generator=generator).split(config.batch_size):
            loss = F.binary_cross_entropy_with_logits(model(normalize(train.images[index])), train.target[index].float())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for split in (train, test):
                for i in range(0, len(split), 512):
                    torch.sigmoid(model(normalize(split.images[i:i + 512])))


def bench_engine(quick: bool) -> dict:
    from fairgap.train import RunConfig, prepare_dataset, train

    config = RunConfig(data={"n_val": 0}, epochs=3 if quick else 8)
    dataset = prepare_dataset(config)
    bare_loop(config.replace(epochs=1), dataset)  # warm-up: oneDNN primitive creation
    t_bare, _ = timed(bare_loop, config, dataset)
    t_engine, _ = timed(train, config, dataset)
    return {"bare loop (s)": t_bare, "engine (s)": t_engine, "engine / bare": t_engine / t_bare}


def bench_sweep(quick: bool) -> dict:
    from fairgap.experiments import sweep_base
    from fairgap.sweep import plan, product, run_sweep

    base = sweep_base("default", epochs=2 if quick else 6)
    runs = plan(base, product(method=["equalized_odds_max_penalty"], weight=[0.1, 0.3, 1.0, 3.0]), seeds=[0])
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        os.environ["FAIRGAP_RESULTS"] = a
        t_seq, _ = timed(run_sweep, runs, executor="sequential", progress=False)
        os.environ["FAIRGAP_RESULTS"] = b
        t_par, _ = timed(run_sweep, runs, executor="processes", progress=False)
    return {"K": len(runs), "sequential (s)": t_seq, "processes (s)": t_par, "throughput ratio": t_seq / t_par}


def bench_data() -> dict:
    from fairgap.data import load_dataset

    with tempfile.TemporaryDirectory() as folder:
        os.environ["FAIRGAP_DATA"] = folder
        t_first, _ = timed(load_dataset, "synthetic_faces")
        t_cached, _ = timed(load_dataset, "synthetic_faces")
        t_20k, _ = timed(load_dataset, "synthetic_faces", n_train=20000, n_val=0, n_test=1, image_size=64, cache=False)
    return {"generate + cache default (s)": t_first, "cached load (s)": t_cached,
            "generate / cached": t_first / t_cached, "20k images at 64 px (s)": t_20k}


def bench_run_all() -> dict:
    out = {}
    for profile in ("smoke", "default"):
        t, proc = timed(subprocess.run, [str(ROOT / "run_all.sh"), "--profile", profile], cwd=ROOT,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out[f"run_all.sh --profile {profile} (s)"] = t
        out[f"run_all.sh --profile {profile} exit"] = proc.returncode
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer epochs (checks the script, not the numbers)")
    parser.add_argument("--run-all", action="store_true", help="also time ./run_all.sh (smoke and default)")
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    sections = {"engine": lambda: bench_engine(args.quick), "sweep": lambda: bench_sweep(args.quick), "data": bench_data}
    if args.run_all:
        sections["run_all"] = bench_run_all
    for name, fn in sections.items():
        results = fn()
        print(f"\n[{name}]")
        for key, value in results.items():
            print(f"  {key:<34} {value:.3f}" if isinstance(value, float) else f"  {key:<34} {value}")


if __name__ == "__main__":
    main()
