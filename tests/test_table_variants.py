"""Notebooks 01-04 and 07 on a table, beside their runs on images: the name each run on a table goes under
(figures, claims, executed copy), the default profile's runs on Adult, and the committed runs read back by that name."""

from pathlib import Path

import pandas as pd
import pytest

from fairgap import table_runs, tabular
from fairgap.committed import MissingCommittedResults, keep, load
from fairgap.paths import HOLDS_ADULT, base_notebook, notebook_key, project_root, run_key, table_slug
from fairgap.run_notebooks import ADULT, ON_ADULT_TOO, plan_jobs, select_jobs, select_notebooks

NOTEBOOKS = sorted((project_root() / "notebooks").glob("[0-9]*.ipynb"))


def test_a_run_on_a_table_has_a_name_of_its_own():
    from fairgap.paths import BUNDLED_TABLES

    assert set(BUNDLED_TABLES) == set(tabular.TABLES)   # the runner's standard-library copy of the bundled names
    assert tabular.notebook_key is table_runs.notebook_key is notebook_key
    assert notebook_key("01_fairness_overfits") == "01_fairness_overfits"
    assert notebook_key("01_fairness_overfits", "adult") == "01_fairness_overfits-adult"
    assert table_slug("/home/me/My survey (v2).csv") == "file-My-survey-v2"
    assert table_slug("adult.csv") == "file-adult"          # a file named like a bundled table is still a file
    assert table_slug("data\\hires.parquet") == "file-hires"
    for table in ("adult", "x/y/z.csv"):
        assert base_notebook(notebook_key("03_model_capacity", table)) == "03_model_capacity"


def test_the_default_profile_runs_the_network_notebooks_on_adult_too():
    jobs = plan_jobs(NOTEBOOKS, "default", {})
    names = [job.name for job in jobs]
    assert len(ON_ADULT_TOO) == 5
    for notebook in ON_ADULT_TOO:
        assert names.index(f"{notebook}-{ADULT}") == names.index(notebook) + 1   # beside the images' run
        assert dict(jobs[names.index(f"{notebook}-{ADULT}")].parameters) == {"table": ADULT}
    assert len(jobs) == len(NOTEBOOKS) + len(ON_ADULT_TOO)
    assert [job.name for job in plan_jobs(NOTEBOOKS, "smoke", {})] == [p.stem for p in NOTEBOOKS]


def test_a_users_table_replaces_adult_and_goes_under_its_own_name():
    jobs = plan_jobs(NOTEBOOKS, "default", {"table": "data/hires.csv"})
    names = {job.path.stem: job.name for job in jobs}
    assert len(jobs) == len(NOTEBOOKS)
    for notebook in ON_ADULT_TOO:
        assert names[notebook] == f"{notebook}-file-hires" and not dict(jobs[0].parameters)
    for notebook in HOLDS_ADULT:   # they hold Adult beside the faces; a user's table still never overwrites them
        assert names[notebook] == f"{notebook}-file-hires"
        assert [job.name for job in plan_jobs(NOTEBOOKS, "default", {"table": ADULT}) if job.path.stem == notebook] \
            == [notebook]
    assert names["05_face_verification"] == "05_face_verification"   # takes no table: skipped by its own check


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem in HOLDS_ADULT], ids=lambda p: p.stem[:2])
def test_notebooks_holding_adult_save_a_users_table_under_its_key(path):
    text = path.read_text(encoding="utf-8")
    assert "tabular.run_key(" in text
    assert text.count(f'\"{path.stem}\"') <= 1, "every figure, claim and kept table goes under the key"
    assert text.count("results=results") == text.count("notebook=") > 0   # so does every study call that keeps runs
    assert run_key(path.stem, "adult") == run_key(path.stem, None) == path.stem
    assert run_key(path.stem, "my/hires.csv") == f"{path.stem}-file-hires"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem in ON_ADULT_TOO], ids=lambda p: p.stem[:2])
def test_each_table_notebook_saves_under_its_key(path):
    text = path.read_text(encoding="utf-8")
    assert f'notebook = table_runs.notebook_key(\\"{path.stem}\\", table)' in text
    assert text.count(f'\\"{path.stem}\\"') == 1, "every figure, claim and kept table goes under the key"


def test_committed_runs_of_a_table_are_read_back_under_its_key(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_FIGURES", str(tmp_path))
    key = table_runs.notebook_key("02_constraint_strength", "adult")
    dataset, data = table_runs.table_run("adult", results="committed")   # a table can be read from the committed runs
    assert dataset == "table" and data["table"] == "adult"
    with pytest.raises(MissingCommittedResults, match="02_constraint_strength-adult"):
        load(key)
    frame = pd.DataFrame({"seed": [0, 1], "value": [0.25, 0.5]})
    keep(frame, key)
    assert Path(tmp_path / key / "runs.csv.gz").is_file() and not (tmp_path / "02_constraint_strength").exists()
    pd.testing.assert_frame_equal(load(key), frame)


def test_only_selects_a_notebook_with_its_runs_or_one_run_by_name():
    folder = project_root() / "notebooks"

    def names(only):
        return [job.name for job in select_jobs(plan_jobs(select_notebooks(folder, only), "default", {}), only)]

    assert names(["01"]) == ["01_fairness_overfits", "01_fairness_overfits-adult"]
    assert names(["01_fairness_overfits-adult", "05"]) == ["01_fairness_overfits-adult", "05_face_verification"]
    assert names(["03_model_capacity"]) == ["03_model_capacity", "03_model_capacity-adult"]
    assert names(["09-adult"]) == []


def test_adults_primaries_run_at_their_declared_seeds_on_the_declared_settings():
    from fairgap.claims import primary
    from fairgap.studies import f3_capacity

    capacity = primary.DECLARED["03_model_capacity-adult"][0]
    assert len(f3_capacity.TABLE_PRIMARY_SEEDS["default"]) == capacity.n >= capacity.n_needed
    widths = f3_capacity.TABLE_WIDTHS["default"]
    assert primary.TABLE_CAPACITY_WIDTHS == (widths[0], widths[-1])   # the rule's outcome: no width collapsed
    assert f3_capacity.compared_widths(widths) == primary.TABLE_CAPACITY_WIDTHS
    for notebook in ON_ADULT_TOO:
        key = notebook_key(notebook, ADULT)
        assert {p.source for p in primary.DECLARED[key]} == {primary.ADULT}
        assert primary.PRIMARY_SEEDS[key], f"{key}: its primary settings run at the primary seeds"


def test_notebook_01_leaves_out_a_method_that_cannot_take_the_tables_groups(tmp_path, capsys):
    import numpy as np

    from fairgap.fairness import takes_groups
    from fairgap.studies.f1_overfits import methods_for_groups

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "team": rng.choice(["a", "b"], 300),
                          "region": np.repeat(["north", "south", "east"], 100), "outcome": rng.choice(["yes", "no"], 300)})
    path = tmp_path / "three.csv"
    frame.to_csv(path, index=False)
    dataset, data = table_runs.table_run(str(path), "outcome", "region", "yes", train_size=150)
    methods = {"ERM": {"method": "erm"}, "FairALM": {"method": "fairalm", "eta": 0.1},
               "MinDiff": {"method": "mindiff", "weight": 0.3}}
    assert not takes_groups("fairalm", 3) and takes_groups("fairalm", 2) and takes_groups("mindiff", 3)
    assert list(methods_for_groups(methods, dataset, data)) == ["ERM", "MinDiff"]
    assert "FairALM left out: fairalm constrains at most 2 groups, and this table has 3 (east, north, south)" \
        in capsys.readouterr().out
    assert methods_for_groups(methods, None, {}) == methods   # the images' two groups
