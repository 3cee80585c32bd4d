"""results="committed": a study's table is kept beside its figures when it trains and read back, equal and with the
same types, instead of training; a missing table says what to do; the explorer's train button refuses to train."""

import os

import numpy as np
import pandas as pd
import pytest

from fairgap import committed, widgets
from fairgap.studies import f2_strength, f3_capacity


def _table() -> pd.DataFrame:
    """A sweep-like table with every type the studies' tables hold, values that a lossy CSV would change."""
    return pd.DataFrame({
        "epoch": np.array([1, 30, 30], dtype="int64"),
        "split": pd.array(["train", "population", "test"], dtype="str"),
        "group": pd.array(["all", "darker", "lighter"], dtype="str"),
        "value": [0.1 + 0.2, 1e-17, np.nan],
        "weight": [0.32, np.nan, 3.2],
        "label": pd.array(["EO penalty λ=0.32", None, "ERM"], dtype="str"),
        "collapsed": [True, False, True],
        "seed": np.array([0, 1, 2], dtype="int64"),
    })


def _files(folder) -> list[str]:
    return sorted(str(p) for p in __import__("pathlib").Path(folder).rglob("*") if p.is_file())


def test_a_kept_table_reads_back_equal_with_its_types():
    table = _table()
    path = committed.keep(table, "03_model_capacity", profile="smoke")
    assert path.name == "runs.csv.gz" and path.parent.name == "03_model_capacity"
    back = committed.load("03_model_capacity", profile="smoke")
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    assert list(back.dtypes.astype(str)) == list(table.dtypes.astype(str))
    first = path.read_bytes()
    committed.keep(table, "03_model_capacity", profile="smoke")
    assert path.read_bytes() == first          # same table, same bytes: a rerun leaves git clean


def test_a_study_keeps_its_table_when_training_and_reads_it_back_without_training(monkeypatch):
    trained = _table()
    calls = []
    monkeypatch.setattr(f3_capacity, "capacity_or_size", lambda *args, **kwargs: calls.append(args) or trained.copy())
    methods = {"ERM": {"method": "erm"}}
    table = f3_capacity.model_capacity("smoke", methods, results="train")
    assert len(calls) == 1 and committed.table_path("03_model_capacity", profile="smoke").is_file()

    def no_training(*_args, **_kwargs):
        raise AssertionError("results='committed' must not train")

    monkeypatch.setattr(f3_capacity, "capacity_or_size", no_training)
    results_dir = os.environ["FAIRGAP_RESULTS"]
    before = _files(results_dir)
    back = f3_capacity.model_capacity("smoke", methods, results="committed")
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    assert _files(results_dir) == before == []   # the results cache is never touched


def test_a_missing_committed_table_names_the_file_and_how_to_write_it():
    with pytest.raises(committed.MissingCommittedResults) as raised:
        f3_capacity.model_capacity("smoke", {"ERM": {"method": "erm"}}, results="committed")
    message = str(raised.value)
    assert "03_model_capacity" in message and "runs.csv.gz" in message and 'results="train"' in message


def test_results_must_be_train_or_committed():
    with pytest.raises(ValueError, match="committed"):
        f3_capacity.model_capacity("smoke", {"ERM": {"method": "erm"}}, results="figures")


def test_the_explorer_button_refuses_to_train_under_committed_results(monkeypatch):
    import ipywidgets

    def no_training(*_args, **_kwargs):
        raise AssertionError("the button must not train under results='committed'")

    monkeypatch.setattr(f2_strength, "run_sweep", no_training)
    rows = []
    for method, weight in (("erm", 0.0), ("equalized_odds_max_penalty", 0.32), ("equalized_odds_max_penalty", 1.0)):
        for split in ("train", "test"):
            for group in ("all", "darker", "lighter"):
                for metric, value in (("accuracy", 0.9), ("equalized_odds_difference", 0.1 + weight / 10),
                                      ("collapsed", 0.0)):
                    rows.append({"epoch": 3, "split": split, "group": group, "metric": metric, "value": value,
                                 "method": method, "weight": weight, "seed": 0, "run": f"{method}{weight}"})
    table = pd.DataFrame(rows)
    explorer = widgets.strength_explorer(table, train_new=f2_strength.strength_trainer("smoke", results="committed"))
    children = []
    stack = [explorer]
    while stack:
        box = stack.pop()
        children.append(box)
        stack.extend(getattr(box, "children", ()))
    status = [c for c in children if isinstance(c, ipywidgets.HTML)][-1]
    slider = [c for c in children if isinstance(c, ipywidgets.SelectionSlider)][0]
    options = list(slider.options)
    [c for c in children if isinstance(c, ipywidgets.Button)][0].click()
    assert "needs new training runs" in status.value and "results = &quot;train&quot;" in status.value
    assert list(slider.options) == options     # nothing added


# --- ./run_all.sh --from-figures ---

NOTEBOOKS = sorted((__import__("fairgap.paths", fromlist=["x"]).project_root() / "notebooks").glob("[0-9]*.ipynb"))


def test_every_notebook_takes_the_results_parameter():
    from fairgap.run_notebooks import declared_parameters

    assert NOTEBOOKS
    assert [p.stem for p in NOTEBOOKS if "results" not in (declared_parameters(p) or [])] == []


def test_from_figures_runs_every_notebook_with_committed_results(monkeypatch, tmp_path):
    from fairgap import run_notebooks

    seen = {}

    def execute(notebooks, profile, parameters, output_dir, kernel, jobs):
        seen.update(notebooks=[job.name for job in notebooks], parameters=parameters, jobs=jobs, profile=profile)
        return []

    monkeypatch.setattr(run_notebooks, "execute_notebooks", execute)
    monkeypatch.setattr(run_notebooks, "ensure_kernel", lambda: "python3")
    monkeypatch.setattr(run_notebooks, "adjust_claims", lambda profile: None)
    monkeypatch.setattr(run_notebooks, "available_cores", lambda: 2)
    assert run_notebooks.main(["--from-figures", "--no-report", "--executed", str(tmp_path)]) == 0
    # every notebook, and notebooks 01-04 and 07 on Adult as well (figures/<notebook>-adult/)
    assert seen["notebooks"] == [job.name for job in run_notebooks.plan_jobs(NOTEBOOKS, "default", {})]
    assert sum(name.endswith("-adult") for name in seen["notebooks"]) == 5 and seen["profile"] == "default"
    assert seen["parameters"] == {"results": "committed"}
    assert seen["jobs"] == 2                   # nothing trains: one notebook per core, as in smoke


@pytest.mark.parametrize("extra", [["--compare"], ["--report-only"], ["--seed-offset", "100"],
                                   ["-p", "results", '"train"']])
def test_from_figures_refuses_what_would_train_or_compare(extra, capsys):
    from fairgap import run_notebooks

    with pytest.raises(SystemExit) as raised:
        run_notebooks.main(["--from-figures", *extra])
    assert raised.value.code == 2 and "--from-figures" in capsys.readouterr().err


@pytest.mark.slow
def test_the_smoke_collection_redraws_byte_identical_from_its_figures(smoke_run, tmp_path, monkeypatch):
    """Every notebook, run with results="committed" on a copy of a smoke run's figures and an empty results cache,
    rewrites each figure's CSV, claims.csv and claims_values.csv byte for byte, and trains nothing."""
    import contextlib
    import io
    import shutil

    from fairgap import run_notebooks

    assert smoke_run.code == 0, smoke_run.output
    figures = tmp_path / "figures"
    shutil.copytree(smoke_run.figures, figures)
    before = {p.relative_to(figures): p.read_bytes() for p in figures.rglob("*.csv")}
    results = tmp_path / "results"
    monkeypatch.setenv("FAIRGAP_FIGURES", str(figures))
    monkeypatch.setenv("FAIRGAP_RESULTS", str(results))
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = run_notebooks.main(["--profile", "smoke", "--from-figures", "--no-report",
                                   "--executed", str(tmp_path / "executed")])
    assert code == 0, out.getvalue()
    after = {p.relative_to(figures): p.read_bytes() for p in figures.rglob("*.csv")}
    assert after.keys() == before.keys()
    assert [str(name) for name in before if after[name] != before[name]] == []
    assert not results.exists() or _files(results) == []
