"""Profiles and the experiment calls notebooks make: one call runs (or loads) an experiment.

A profile fixes the scale of every experiment:

* ``smoke``: seconds, tiny generated data, for CI; the numbers mean nothing.
* ``default``: minutes on a 2-core CPU, generated data large enough for the network to
  interpolate its training set (the regime of the paper).
* ``paper``: a GPU and real data (CelebA at 64 px, ResNet-18), as in the paper.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from .paths import check_profile
from .train import RunConfig, RunResult, run

PROFILES = {
    "smoke": dict(dataset="synthetic_faces",
                  data={"n_train": 240, "n_val": 120, "n_test": 240, "image_size": 16},
                  model="small_cnn", width=0.5, epochs=2, batch_size=64, lr=1e-3, device="cpu"),
    "default": dict(dataset="synthetic_faces", data={}, model="small_cnn", width=1.0, epochs=25,
                    batch_size=128, lr=1e-3, device="cpu"),
    "paper": dict(dataset="celeba", data={"target": "Smiling", "sensitive": "Male", "image_size": 64},
                  model="resnet18", width=1.0, epochs=30, batch_size=256, lr=1e-3, device="auto"),
}


def base_config(profile: str, **overrides) -> RunConfig:
    """The profile's RunConfig with ``overrides`` applied (dataset options are merged, not replaced)."""
    check_profile(profile)
    settings = dict(PROFILES[profile])
    if overrides.get("dataset", settings["dataset"]) != settings["dataset"]:
        settings["data"] = {}  # the profile's options belong to its own dataset
    data = {**settings.pop("data"), **overrides.pop("data", {})}
    settings.update(overrides)
    return RunConfig(**settings, data=data)


def method_config(base: RunConfig, spec: dict) -> RunConfig:
    """``spec`` is {"method": name, **method parameters, [warmup_epochs], [any RunConfig field]}."""
    spec = dict(spec)
    if "method" not in spec:
        raise ValueError(f"Method spec {spec} needs a 'method' key naming a fairness method.")
    run_fields = {f.name for f in dataclasses.fields(RunConfig)} - {"method", "method_params"}
    overrides = {k: spec.pop(k) for k in list(spec) if k in run_fields}
    method = spec.pop("method")
    return base.replace(method=method, method_params=spec, **overrides).validate()


def run_labelled(configs: dict[str, RunConfig], progress: bool = True) -> dict[str, RunResult]:
    """Run (or load from the cache) each labelled config, in order."""
    # Validate everything first, so a typo in the last spec fails before the first run trains.
    for config in configs.values():
        config.validate()
    iterator = configs.items()
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, total=len(configs), desc="runs")
    return {label: run(config, progress=progress) for label, config in iterator}


def combined_history(results: dict[str, RunResult]) -> pd.DataFrame:
    """All histories in one tidy table with a ``method`` label and the run's ``seed``."""
    frames = [r.history.assign(method=label, seed=r.config.seed) for label, r in results.items()]
    return pd.concat(frames, ignore_index=True)


def final_table(results: dict[str, RunResult], disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per method at the last epoch: train and test disparity, accuracy per group, collapse flag."""
    rows = []
    for label, result in results.items():
        final = result.final()
        row = {"method": label}
        for split in ("train", "test"):
            part = final[final.split == split]
            get = lambda metric, group="all": float(part[(part.metric == metric) & (part.group == group)].value.iloc[0])  # noqa: E731
            row[f"{split} {disparity}"] = get(disparity)
            for group in result.info["group_labels"]:
                row[f"{split} accuracy ({group})"] = get("accuracy", group)
            row[f"{split} collapsed"] = bool(get("collapsed"))
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")
