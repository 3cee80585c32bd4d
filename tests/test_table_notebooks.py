"""Notebooks 01-04 and 07 on a table (issue 36 items 1 and 4): their table parameters, the MLP and the splits a table
gets, remedies that do not apply to a table said as such, and the faces' runs untouched."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from fairgap import table_runs
from fairgap.data.table import TABLE, load_table_dataset
from fairgap.paths import notebook_key
from fairgap.profiles import PROFILES, TABLE_RUNS, base_config, sweep_base
from fairgap.studies import f3_capacity, f4_size, f7_remedies

sys.path.insert(0, str(Path(__file__).parent))
from test_table_inputs import small_frame  # noqa: E402

TABLE_NOTEBOOKS = ("01", "02", "03", "04", "07")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture
def small_csv(tmp_path) -> str:
    path = tmp_path / "small.csv"
    small_frame(300).to_csv(path, index=False)
    return str(path)


def test_the_five_notebooks_take_the_table_parameters_of_00_and_08():
    from fairgap.run_notebooks import declared_parameters

    for prefix in TABLE_NOTEBOOKS:
        path, = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
        assert {"table", "target", "sensitive", "positive", "train_size"} <= set(declared_parameters(path)), path


def test_without_a_table_the_images_are_left_as_they_were():
    assert table_runs.table_run(None, dataset=None, data={}) == (None, {})
    assert table_runs.table_run(None, dataset="celeba", data={"target": "Smiling"}) == ("celeba", {"target": "Smiling"})
    with pytest.raises(ValueError, match="describe a table: set table"):
        table_runs.table_run(None, target="outcome")
    for profile in PROFILES:   # the profile's own CNN and data: nothing of a table's MLP
        assert base_config(profile).model == PROFILES[profile]["model"]
        assert sweep_base(profile).dataset == PROFILES[profile]["dataset"]
    assert "+ augmentation" in f7_remedies.remedy_specs({"method": "erm"}, 0.125)
    assert f7_remedies.not_applicable(None) == {} and f7_remedies.not_applicable_prose(None) == ""


def test_a_small_table_is_fitted_and_its_runs_are_an_mlp_on_a_random_split(small_csv, capsys):
    dataset, data = table_runs.table_run(small_csv, "outcome", "region", "hired", train_size=2000)
    assert "training on 150 (half the table), not train_size=2000" in capsys.readouterr().out
    assert dataset == TABLE and data["train_size"] == 150 and data["val_size"] == 37
    config = sweep_base("smoke", dataset=dataset, data=data)
    assert (config.model, config.width, config.population) == ("mlp", TABLE_RUNS["smoke"]["width"], 0)
    loaded = load_table_dataset(seed=0, **data)
    assert [len(loaded[s]) for s in ("train", "val", "test")] == [150, 37, 113]
    other = load_table_dataset(seed=1, **data)
    assert not (loaded["train"].features == other["train"].features).all()   # each seed its own split
    note = table_runs.held_out_note(dataset, data)
    assert "no population" in note and "test split (113 rows: north" in note and "random 150 rows" in note
    assert table_runs.held_out_note(None, {}) is None


def test_a_misspelt_column_fails_naming_it(small_csv):
    with pytest.raises(ValueError, match=r"'regoin' \(sensitive\) \(did you mean 'region'\?\)"):
        table_runs.table_run(small_csv, "outcome", "regoin", "hired")
    with pytest.raises(ValueError, match="Give a table or a dataset, not both"):
        table_runs.table_run(small_csv, "outcome", "region", "hired", dataset="celeba")


def test_the_width_and_size_grids_are_a_tables():
    assert f3_capacity.TABLE_WIDTHS["default"][-1] == TABLE_RUNS["default"]["width"] and all(isinstance(w, int) for w in f3_capacity.TABLE_WIDTHS["smoke"])
    assert f4_size.table_sizes([250, 500, 1000, 2000], 2000) == [250, 500, 1000, 2000]
    assert f4_size.table_sizes([250, 500, 1000, 2000], 150) == [19, 38, 75, 150]
    assert f4_size.table_sizes([100, 200], 150) == [75, 150]


def test_augmentation_is_not_run_on_a_table_and_said_not_applicable():
    specs = f7_remedies.remedy_specs({"method": "erm"}, 16, table=True)
    assert "+ augmentation" not in specs and "+ smaller model" in specs
    assert "+ augmentation" in f7_remedies.not_applicable(TABLE)
    assert "not applicable on a table" in f7_remedies.not_applicable_prose(TABLE)
    from fairgap.plots.f7_remedies import with_not_applicable

    summary = pd.DataFrame({"label": ["ERM"], "test accuracy": [0.8]})
    assert with_not_applicable(summary, {}) is summary
    shown = with_not_applicable(summary, f7_remedies.not_applicable(TABLE))
    assert list(shown.label) == ["ERM", "+ augmentation"] and shown.applicable.iloc[0] == "yes"
    assert shown.applicable.iloc[1].startswith("no: not applicable on a table")


def _outputs(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", "")) + o.get("evalue", "")
                   for c in cells for o in c.get("outputs", []))


@pytest.mark.slow
def test_notebooks_01_to_04_and_07_run_on_a_small_made_up_table(tmp_path, small_csv):
    """Through papermill (run_notebooks.main, as run_all.sh): 300 rows, a categorical column, a string target."""
    from fairgap import run_notebooks
    from fairgap.paths import figures_dir

    executed = tmp_path / "executed"
    code = run_notebooks.main(["--profile", "smoke", "--only", *TABLE_NOTEBOOKS, "--executed", str(executed),
                               "--no-report", "-p", "table", small_csv, "-p", "target", "outcome",
                               "-p", "sensitive", "region", "-p", "positive", "hired"])
    assert code == 0
    for path in sorted(executed.glob("0*.ipynb")):
        shown = _outputs(path)
        assert "a real table has no population, so the held-out measure is its test split (113 rows: north" in shown
        assert (figures_dir("smoke") / path.stem / "claims.csv").is_file()
    assert len(list(executed.glob("0*.ipynb"))) == 5
    assert not (figures_dir("smoke") / "07_remedies").exists()   # the images' folder is left alone
    f7 = pd.read_csv(figures_dir("smoke") / notebook_key("07_remedies", small_csv) / "F7_remedies.csv")
    row = f7[f7.label == "+ augmentation"]
    assert len(row) == 1 and row.applicable.iloc[0].startswith("no: not applicable on a table")
    assert "**+ augmentation**: not applicable on a table" in _outputs(executed / f"{notebook_key('07_remedies', small_csv)}.ipynb")
    f3 = pd.read_csv(figures_dir("smoke") / notebook_key("03_model_capacity", small_csv) / "F3_model_capacity.csv")
    assert "test" in set(f3.columns) or "test" in set(f3.get("split", []))


@pytest.mark.slow
def test_notebook_03_runs_on_the_faces_and_on_adult_and_a_misspelt_column_fails_naming_it(tmp_path, small_csv,
                                                                                          monkeypatch):
    """As the default profile runs it (on the faces, then on Adult into its own folder), here in the smoke profile."""
    from fairgap import run_notebooks
    from fairgap.paths import figures_dir

    monkeypatch.setattr(run_notebooks, "TABLE_RUN_PROFILES", ("smoke",))
    executed = tmp_path / "executed"
    assert run_notebooks.main(["--profile", "smoke", "--only", "03", "--executed", str(executed), "--no-report"]) == 0
    assert "Table adult (groups: sex)" in _outputs(executed / "03_model_capacity-adult.ipynb")
    assert "Table adult" not in _outputs(executed / "03_model_capacity.ipynb")
    for key in ("03_model_capacity", "03_model_capacity-adult"):
        assert (figures_dir("smoke") / key / "claims.csv").is_file() and (figures_dir("smoke") / key / "runs.csv.gz").is_file()
    summary = {e["notebook"]: e["status"] for e in run_notebooks.read_summary(executed)}
    assert summary == {"03_model_capacity": "ok", "03_model_capacity-adult": "ok"}
    assert run_notebooks.main(["--profile", "smoke", "--only", "03", "--executed", str(executed), "--no-report",
                               "-p", "table", small_csv, "-p", "target", "outcome", "-p", "sensitive", "regoin",
                               "-p", "positive", "hired"]) == 1
    assert "'regoin' (sensitive) (did you mean 'region'?)" in _outputs(executed / f"{notebook_key('03_model_capacity', small_csv)}.ipynb")
