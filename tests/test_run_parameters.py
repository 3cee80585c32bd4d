"""run_all.sh's -p names are checked against the selected notebooks' parameters cells before anything runs."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from fairgap import run_notebooks
from fairgap.paths import project_root

NOTEBOOKS = project_root() / "notebooks"


def _notebook(path: Path, parameters: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"),
                nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, path)
    return path


def test_declared_parameters_are_read_from_the_tagged_cell(tmp_path):
    path = _notebook(tmp_path / "01_a.ipynb", 'profile = "default"  # comment\ntable: str = "adult"\na, b = 1, 2\n'
                                              'models = {\n  "x": 1,\n}\nif False:\n    hidden = 3\n')
    assert run_notebooks.declared_parameters(path) == ["profile", "table", "a", "b", "models"]
    assert "table" in run_notebooks.declared_parameters(NOTEBOOKS / "00_classical_vs_deep.ipynb")
    assert "table" not in run_notebooks.declared_parameters(NOTEBOOKS / "05_face_verification.ipynb")


def test_a_name_no_selected_notebook_takes_is_an_error_naming_the_valid_ones(tmp_path):
    images = _notebook(tmp_path / "05_images.ipynb", 'profile = "default"\nseeds = None\n')
    tables = _notebook(tmp_path / "08_tables.ipynb", 'profile = "default"\ntable = "adult"\nsensitive = None\n')
    with pytest.raises(run_notebooks.ParameterError) as error:
        run_notebooks.check_parameters([images], ["tabel"], [images, tables])
    text = str(error.value)
    assert "-p tabel" in text and "08_tables (not selected) takes 'table'" in text
    assert "05_images: profile, seeds" in text and "Nothing was run" in text
    with pytest.raises(run_notebooks.ParameterError, match="did you mean 'sensitive'"):
        run_notebooks.check_parameters([images, tables], ["sensitiv"])
    with pytest.raises(run_notebooks.ParameterError, match="08_tables \\(not selected\\) takes it"):
        run_notebooks.check_parameters([images], ["table"], [images, tables])


def test_notebooks_that_do_not_take_a_parameter_run_without_it_and_say_why(tmp_path):
    images = _notebook(tmp_path / "05_images.ipynb", 'profile = "default"\nseeds = None\n')
    tables = _notebook(tmp_path / "08_tables.ipynb", 'profile = "default"\ntable = "adult"\nseeds = None\n')
    without = run_notebooks.check_parameters([images, tables], ["table", "seeds"])
    assert without == {"05_images": "-p table (it does not take a table)"}
    assert run_notebooks.check_parameters([images, tables], ["seeds"]) == {}
    outcome = run_notebooks.NotebookOutcome("05_images", "ok", 1.0, without=without["05_images"])
    summary = run_notebooks.format_summary([outcome], "smoke")
    assert "05_images ran without -p table (it does not take a table)" in summary


def test_a_notebook_that_takes_no_table_gets_none_of_the_tables_parameters(tmp_path):
    """Notebook 06 has a ``sensitive`` of its own (an X-ray attribute): -p sensitive names the table's column."""
    xray = _notebook(tmp_path / "06_xray.ipynb", 'profile = "default"\nsensitive = "sex"\n')
    tables = _notebook(tmp_path / "08_tables.ipynb", 'profile = "default"\ntable = "adult"\nsensitive = None\n')
    names = ["table", "sensitive"]
    assert run_notebooks.check_parameters([xray, tables], names) == {
        "06_xray": "-p table, -p sensitive (it does not take a table)"}
    assert run_notebooks.withheld(run_notebooks.declared_parameters(xray), names) == ["table", "sensitive"]
    assert run_notebooks.withheld(run_notebooks.declared_parameters(xray), ["sensitive"]) == []   # its own
    assert run_notebooks.withheld(run_notebooks.declared_parameters(tables), names) == []


def test_check_arguments_refuses_a_misspelt_parameter_with_the_system_python():
    env = {**os.environ, "PYTHONPATH": str(project_root() / "src")}
    done = subprocess.run([sys.executable, "-B", "-m", "fairgap.run_notebooks", "--profile", "smoke",
                           "--check-arguments", "--only", "05", "-p", "tabel", "x.csv"],
                          capture_output=True, text=True, env=env, cwd=project_root())
    assert done.returncode == 2
    assert "-p tabel" in done.stderr and "'table'" in done.stderr and "05_face_verification:" in done.stderr
    done = subprocess.run([sys.executable, "-B", "-m", "fairgap.run_notebooks", "--profile", "smoke",
                           "--check-arguments", "--only", "00", "05", "-p", "table", "x.csv"],
                          capture_output=True, text=True, env=env, cwd=project_root())
    assert done.returncode == 0, done.stderr


def test_with_a_table_the_notebooks_that_take_none_are_skipped_and_said_so(tmp_path):
    images = _notebook(tmp_path / "05_images.ipynb", 'profile = "default"\nseeds = None\n')
    tables = _notebook(tmp_path / "08_tables.ipynb", 'profile = "default"\ntable = "adult"\nseeds = None\n')
    assert run_notebooks.skipped_for_table([images, tables], ["table", "seeds"]) == [images]
    assert run_notebooks.skipped_for_table([images, tables], ["seeds"]) == []
    assert run_notebooks.skipped_for_table(
        [NOTEBOOKS / f"{n}.ipynb" for n in ("05_face_verification", "06_medical_diagnosis", "09_what_drives_the_gap",
                                            "02_constraint_strength")], ["table"]) == \
        [NOTEBOOKS / f"{n}.ipynb" for n in ("05_face_verification", "06_medical_diagnosis", "09_what_drives_the_gap")]
    summary = run_notebooks.format_summary(
        [run_notebooks.NotebookOutcome("05_images", run_notebooks.SKIPPED, 0.0, skipped=run_notebooks.WHY_SKIPPED),
         run_notebooks.NotebookOutcome("08_tables", "ok", 3.0)], "smoke")
    assert "05_images skipped: it does not take a table" in summary and "1 passed, 1 skipped, 0 failed" in summary
