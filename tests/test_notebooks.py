"""Integration: every notebook executes with papermill in the smoke profile and writes its figures."""

import json
from pathlib import Path

import nbformat
import pytest

from fairgap import run_notebooks
from fairgap.paths import project_root

NOTEBOOKS = sorted((project_root() / "notebooks").glob("[0-9]*.ipynb"))


def test_notebooks_exist_are_stripped_and_parametrized():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name} has outputs"
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and "profile" in tagged[0].source, f"{path.name}: one tagged parameters cell"


@pytest.mark.slow
def test_every_notebook_runs_in_smoke_profile_and_writes_its_figures(smoke_run):
    assert smoke_run.code == 0, smoke_run.output
    assert f"{len(NOTEBOOKS)} passed, 0 failed" in smoke_run.output
    assert (smoke_run.report / "index.html").is_file()
    for path in NOTEBOOKS:
        folder = smoke_run.figures / path.stem
        pngs = sorted(folder.glob("*.png"))
        assert pngs, f"{path.name} wrote no figure into {folder}"
        for png in pngs:
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
            assert png.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
            assert png.with_suffix(".csv").stat().st_size > 0


def _notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('profile = "default"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)


@pytest.mark.slow
def test_a_failing_notebook_is_reported_and_the_others_still_run(tmp_path, capsys):
    _notebook(tmp_path / "01_fails.ipynb", "raise RuntimeError('deliberate failure')")
    _notebook(tmp_path / "02_works.ipynb", "assert profile == 'smoke'\nresult = 1 + 1")
    code = run_notebooks.main(["--profile", "smoke", "--notebooks", str(tmp_path), "--executed", str(tmp_path / "out"),
                               "--jobs", "2", "--report", str(tmp_path / "report")])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 passed, 1 failed" in out
    summary = out[out.index("Summary"):]  # in the notebooks' order, whichever finished first
    assert summary.index("01_fails") < summary.index("02_works")
    assert [e["status"] for e in run_notebooks.read_summary(tmp_path / "out")] == ["FAILED", "ok"]
    assert "RuntimeError: deliberate failure" in (tmp_path / "report" / "index.html").read_text()
    assert "RuntimeError: deliberate failure" in out and "starts `raise RuntimeError" in out
    executed = tmp_path / "out" / "02_works.ipynb"
    assert json.loads(executed.read_text())["cells"][-1]["execution_count"] is not None


def test_parameter_values_parse_like_json():
    assert run_notebooks.parse_value("3") == 3
    assert run_notebooks.parse_value("0.5") == 0.5
    assert run_notebooks.parse_value("[1, 2]") == [1, 2]
    assert run_notebooks.parse_value('{"n_train": 10}') == {"n_train": 10}
    assert run_notebooks.parse_value("True") is True and run_notebooks.parse_value("None") is None
    assert run_notebooks.parse_value("celeba") == "celeba"


def test_unknown_profile_is_refused(capsys):
    with pytest.raises(SystemExit):
        run_notebooks.main(["--profile", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err
