"""bench/bench.py's "cost" section: a run's time attributed to the notebook that trained it, and to the
settings behind a primary claim (trained at 10 seeds or splits) or to exploratory ones."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

from fairgap.train import RunConfig, run

SPEC = importlib.util.spec_from_file_location("bench", Path(__file__).resolve().parents[1] / "bench" / "bench.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


def fake_run(results: Path, key: str, notebook: str, seed: int, seconds: float, method: str = "erm"):
    folder = results / "runs" / key
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"method": method, "seed": seed, "data_seed": None}))
    (folder / "timing.json").write_text(json.dumps({"seconds": seconds, "load_average": 2.0, "notebook": notebook}))


def test_settings_at_ten_seeds_count_as_primary_per_notebook(tmp_path):
    for seed in range(10):  # a primary setting: seeds 0-9 at 10 s each
        fake_run(tmp_path, f"p{seed}", "02_constraint_strength", seed, 10.0, "erm")
    for seed in range(3):   # an exploratory one: seeds 0-2 at 4 s each
        fake_run(tmp_path, f"e{seed}", "02_constraint_strength", seed, 4.0, "equal_opportunity_penalty")
    for seed in range(50):  # an exploratory sweep over many splits (notebook 08's sizes) at 1 s each
        fake_run(tmp_path, f"s{seed}", "02_constraint_strength", seed, 1.0, "size_sweep")
    for seed in range(3, 10):  # a primary setting whose first 3 seeds another notebook's runs served
        fake_run(tmp_path, f"q{seed}", "02_constraint_strength", seed, 2.0, "served_in_part")
    fake_run(tmp_path, "other", "03_model_capacity", 0, 7.0, "erm")   # same setting, another notebook
    table = bench.time_by_claims(bench.trained_runs(tmp_path), {"02_constraint_strength": 100.0}, cores=2)
    row = table.set_index("notebook").loc["02_constraint_strength"]
    assert (row.runs, row.runs_primary, row.runs_exploratory) == (70, 17, 53)
    assert row.run_s_primary == pytest.approx(114.0) and row.run_s_exploratory == pytest.approx(62.0)
    assert row.rest_s == pytest.approx(100.0 - 176.0 / 2)
    assert row.wall_without_exploratory_s == pytest.approx(100.0 - 62.0 / 2)
    other = table.set_index("notebook").loc["03_model_capacity"]
    assert (other.runs_primary, other.runs_exploratory) == (0, 1)


def test_a_replication_s_seeds_are_read_relative_to_its_lowest(tmp_path):
    for seed in range(100, 103):
        fake_run(tmp_path, f"r{seed}", "06_medical_diagnosis", seed, 5.0)
    row = bench.time_by_claims(bench.trained_runs(tmp_path), {}, cores=2).iloc[0]
    assert (row.runs_primary, row.runs_exploratory) == (0, 3)


def test_a_real_run_is_read_back_with_its_notebook(monkeypatch, tmp_path):
    monkeypatch.setenv("FAIRGAP_NOTEBOOK", "01_fairness_overfits")
    run(RunConfig(data={"n_train": 160, "n_val": 60, "n_test": 120, "image_size": 16}, width=0.25, epochs=1))
    runs = bench.trained_runs(Path(os.environ["FAIRGAP_RESULTS"]))
    assert runs.notebook.tolist() == ["01_fairness_overfits"] and runs.seconds.iloc[0] > 0


def test_cost_without_a_run_summary_says_what_to_do(tmp_path):
    assert "run ./run_all.sh first" in bench.bench_cost(tmp_path, tmp_path)["skipped"]
