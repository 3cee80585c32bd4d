"""The real-image path end to end: every notebook that can read CelebA or CheXpert runs, with papermill, on
files in exactly the real formats (celeba_fixture.py, chexpert_fixture.py) placed where a user puts the
downloads ($FAIRGAP_DATA/celeba/, $FAIRGAP_DATA/chexpert/), and writes its figures.

One module-scoped fixture writes the files and executes every notebook once, two at a time, each in its
own process with its own figures folder; the tests then read the outcomes. The runs are the smallest
that still take each notebook through every cell: one epoch or the smoke sweep's two, one seed, few
methods. Two runs use the ``paper`` profile (the one meant for real data: ResNet-18 in bf16 on CelebA,
DenseNet-121 on CheXpert), with 16 px images so that they stay cheap on a CPU (device "auto" resolves
to the CPU here); notebook 06 has no ``dataset`` parameter, so the paper profile is its only way to
CheXpert.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from fairgap import run_notebooks
from fairgap.data import PROFILE_OPTIONS
from fairgap.profiles import base_config
from fairgap.paths import project_root
from fairgap.studies import f4_size, f5_verification as fv, f6_medical as medical

try:
    from .celeba_fixture import write_celeba_identity_fixture
    from .chexpert_fixture import write_chexpert_fixture
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from celeba_fixture import write_celeba_identity_fixture
    from chexpert_fixture import write_chexpert_fixture

ERM = {"ERM": {"method": "erm"}}
TWO_METHODS = {**ERM, "EO penalty": {"method": "equalized_odds_max_penalty", "weight": 0.3}}

# run name -> (notebook prefix, profile, parameters, the data set every run it trains must use); every run
# gets one seed (SEEDS), whatever the profile's default.
RUNS = {
    "06 paper chexpert": ("06", "paper", {"data": {"image_size": 16}, "epochs": 1, "methods": ERM}, "chexpert"),
    "06 chexpert": ("06", "smoke", {"dataset": "chexpert", "epochs": 1, "methods": ERM}, "chexpert"),
    "07 celeba": ("07", "smoke", {"dataset": "celeba"}, "celeba"),
    "01 paper celeba": ("01", "paper", {"data": {"image_size": 16}, "epochs": 1, "methods": TWO_METHODS,
                                        "executor": "sequential"}, "celeba"),
    "05 celeba_identities": ("05", "smoke", {"dataset": "celeba_identities", "epochs": 1,
                                             "weights": {"loss_gap": [1.0]}}, "celeba_identities"),
    "01 celeba": ("01", "smoke", {"dataset": "celeba", "epochs": 1, "methods": TWO_METHODS}, "celeba"),
    "02 celeba": ("02", "smoke", {"dataset": "celeba", "methods": ["equalized_odds_max_penalty"], "weights": [1.0]},
                  "celeba"),
    "03 celeba": ("03", "smoke", {"dataset": "celeba"}, "celeba"),
    # The fixture's train split holds 35 photos; the smoke sizes (100, 200) fit CelebA's smoke options only.
    "04 celeba": ("04", "smoke", {"dataset": "celeba", "sizes": [12, 24]}, "celeba"),
}

SEEDS = {"seeds": [0]}

EXECUTE = """
import json, sys
from pathlib import Path
from fairgap.run_notebooks import run_notebook
path, profile, parameters, executed, kernel = sys.argv[1:]
outcome = run_notebook(Path(path), profile, json.loads(parameters), Path(executed), kernel)
print(json.dumps({"status": outcome.status, "error": outcome.error, "figures": outcome.figures}))
"""


def notebook(prefix: str) -> Path:
    return next((project_root() / "notebooks").glob(f"{prefix}_*.ipynb"))


def execute(name: str, root: Path, env: dict, kernel: str) -> dict:
    """One run in a fresh process, with its own figures and results folders (a kernel reads
    FAIRGAP_FIGURES and FAIRGAP_RESULTS when it starts)."""
    prefix, profile, parameters, _ = RUNS[name]
    parameters = {**SEEDS, **parameters}
    folder = root / "runs" / name.replace(" ", "_")
    env = {**env, "FAIRGAP_FIGURES": str(folder / "figures"), "FAIRGAP_RESULTS": str(folder / "results")}
    done = subprocess.run([sys.executable, "-c", EXECUTE, str(notebook(prefix)), profile, json.dumps(parameters),
                           str(folder / "executed"), kernel], env=env, capture_output=True, text=True)
    executed = folder / "executed" / notebook(prefix).name
    if done.returncode != 0:
        return {"status": "FAILED", "error": done.stderr[-3000:], "executed": executed}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "executed": executed,
            "folder": folder / "figures" / notebook(prefix).stem,
            "configs": [json.loads(p.read_text()) for p in sorted((folder / "results").glob("*/*/config.json"))]}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("real_format")
    # 14 people x 5 photos: train (35 photos) and test (20) hold both groups with both labels, and enough
    # people for notebook 05's unseen identities. 40 + 20 patients do the same for CheXpert.
    write_celeba_identity_fixture(root / "data" / "celeba", n_identities=14, images_per_identity=5,
                                  image_size=(24, 29))
    write_chexpert_fixture(root / "data" / "chexpert", n_train_patients=40, n_valid_patients=20)
    env = {**os.environ, "FAIRGAP_DATA": str(root / "data"), "MPLBACKEND": "Agg"}
    kernel = run_notebooks.ensure_kernel()
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(execute, name, root, env, kernel) for name in RUNS}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_notebook_runs_on_real_format_files_and_writes_its_figures(outcomes, name):
    outcome = outcomes[name]
    assert outcome["status"] == "ok", f"{name} failed at {outcome['error']} (see {outcome['executed']})"
    folder = outcome["folder"]
    pngs = sorted(folder.glob("*.png"))
    assert pngs, f"{name} wrote no figure into {folder}"
    assert {p.name for p in pngs} <= set(outcome["figures"]), "figures left over from another run"
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
        assert png.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    # A figure's table is never empty; claims_values.csv may be (a run this small can leave every claim
    # untestable: 03 finds no interpolating width in one epoch), but claims.csv always lists the claims.
    tables = [csv for csv in folder.glob("*.csv") if csv.name != "claims_values.csv"]
    assert tables and all(len(pd.read_csv(csv)) for csv in tables), f"{name}: a figure's table is empty"
    assert (folder / "claims.csv").exists() and (folder / "claims_values.csv").exists(), f"{name}: claims not saved"
    # Every run the notebook trained read the fixture, at the small image size the profile (or the
    # parameters, for the paper profile) chose, rather than the notebook's generated data.
    dataset = RUNS[name][3]
    assert outcome["configs"], f"{name}: no trained run in its results folder"
    assert {(c["dataset"], c["data"].get("image_size")) for c in outcome["configs"]} == {(dataset, 16)}


def test_a_real_dataset_picked_in_a_quick_profile_gets_small_quick_options():
    assert base_config("smoke", dataset="celeba").data == {"image_size": 16, "max_per_split": 240}
    assert base_config("smoke", dataset="celeba", data={"image_size": 32}).data["image_size"] == 32
    assert medical.experiment_config("smoke", dataset="chexpert").data["image_size"] == 16
    assert fv.base_config("smoke", dataset="celeba_identities").data["image_size"] == 16
    assert base_config("paper").data["image_size"] == 64          # the paper profile keeps its own options
    assert base_config("smoke").data["n_train"] == 240            # and so does every profile's own data set
    for profile in ("smoke", "default"):  # notebook 04's sizes fit in the images kept
        assert PROFILE_OPTIONS[profile]["celeba"]["max_per_split"] >= max(f4_size.scale(profile)["sizes"])
