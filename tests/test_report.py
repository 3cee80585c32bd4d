"""The static report: built from executed notebooks, a run summary, figures and claims tables, without
executing anything (the browser check of a real smoke run's report is in test_browser.py)."""

import base64
import io
import json
import re

import nbformat
import pytest
from PIL import Image

from fairgap import report, run_notebooks

NOTEBOOKS = ("01_first", "02_second", "03_broken")


def _png_bytes(size=(640, 400), color=(40, 90, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def _executed(path, with_widget=False, error=False):
    """A notebook as papermill leaves it: outputs, optionally a widget with saved state, or an error."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Title of {path.stem}\n\nProse with $\\lambda$."),
                nbformat.v4.new_code_cell("1 + 1", execution_count=1,
                                          outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                                                          execution_count=1)])]
    if with_widget:
        view = {"application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2, "version_minor": 0},
                "text/plain": "VBox(children=(Image(value=b'...'),))"}
        nb.cells.append(nbformat.v4.new_code_cell("explorer", execution_count=2, outputs=[
            nbformat.v4.new_output("display_data", view)]))
        nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": {
            "box": {"model_name": "VBoxModel", "state": {"_model_name": "VBoxModel", "children": ["IPY_MODEL_img"]}},
            "img": {"model_name": "ImageModel", "state": {"_model_name": "ImageModel", "format": "png"},
                    "buffers": [{"encoding": "base64", "path": ["value"],
                                 "data": base64.b64encode(_png_bytes((90, 60))).decode()}]}}}}
    if error:
        nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('bad cell')", execution_count=3, outputs=[
            nbformat.v4.new_output("error", ename="ValueError", evalue="bad cell", traceback=["ValueError: bad cell"])]))
    nbformat.write(nb, path)


@pytest.fixture
def collection(tmp_path):
    executed, figures = tmp_path / "executed", tmp_path / "figures"
    executed.mkdir()
    for name in NOTEBOOKS:
        _executed(executed / f"{name}.ipynb", with_widget=name == "02_second", error=name == "03_broken")
    (figures / "01_first").mkdir(parents=True)
    (figures / "01_first" / "F1_thing.png").write_bytes(_png_bytes())
    (figures / "01_first" / "F1_thing.csv").write_text("x,y\n1,2\n")
    (figures / "01_first" / "claims.csv").write_text(
        "claim,kind,statistic,direction,null,estimate,lower,upper,n,p_value,p_adjusted,verdict\n"
        "train gap closes,exploratory,train EO diff,>,0.0,0.01,0.0,0.02,5,0.02,,shown\n"
        "test gap closes,primary,test EO diff,>,0.0,0.2,-0.05,0.4,5,0.04,0.16,not shown\n")
    summary = {"profile": "smoke", "notebooks": [
        {"notebook": "01_first", "status": "ok", "seconds": 12.5, "figures": ["F1_thing.png"], "error": ""},
        {"notebook": "02_second", "status": "ok", "seconds": 3.25, "figures": [], "error": ""},
        {"notebook": "03_broken", "status": "FAILED", "seconds": 1.0, "figures": [],
         "error": "cell 3 (execution count 3, starts `raise ValueError`): ValueError: bad cell"}]}
    (executed / run_notebooks.SUMMARY_FILE).write_text(json.dumps(summary))
    return executed, figures, tmp_path / "report"


def test_the_index_lists_every_notebook_in_order_with_status_figures_claims_and_errors(collection):
    executed, figures, out = collection
    index = report.build_report("smoke", executed=executed, report_dir=out, figures=figures)
    text = index.read_text()
    links = re.findall(r"href='(notebooks/[^']+\.html)'", text)
    assert list(dict.fromkeys(links)) == [f"notebooks/{name}.html" for name in NOTEBOOKS]
    assert all((out / link).is_file() for link in links)
    assert "Title of 01_first" in text and "12.5" in text
    assert "<span class='status failed'>FAILED</span>" in text and "ValueError: bad cell" in text
    # the figure and its data are copied into the report, with a thumbnail that links to the full image
    assert "<a href='figures/01_first/F1_thing.png'><img src='figures/01_first/F1_thing.thumb.png'" in text
    assert (out / "figures/01_first/F1_thing.csv").read_text() == "x,y\n1,2\n"
    with Image.open(out / "figures/01_first/F1_thing.thumb.png") as thumb:
        assert max(thumb.size) <= max(report.THUMBNAIL) and thumb.size[0] / thumb.size[1] == pytest.approx(1.6, rel=0.02)
    # claims with their verdicts; the notebooks without a table say so
    assert "<span class='verdict shown'>shown</span>" in text and "<span class='verdict not-shown'>not shown</span>" in text
    assert "0.01 [0, 0.02]" in text and "primary 0 of 1; exploratory 1 of 1" in text
    assert "<td><b>primary</b></td><td>test gap closes" in text and "<td class='num'>0.16</td>" in text  # Holm p
    assert text.index("test gap closes") < text.index("train gap closes")   # primary claims first
    assert text.count("no claims table") == 2


def test_notebook_pages_load_nothing_from_the_network_and_show_widget_state(collection):
    executed, figures, out = collection
    report.build_report("smoke", executed=executed, report_dir=out, figures=figures)
    for name in NOTEBOOKS:
        page = (out / "notebooks" / f"{name}.html").read_text()
        assert not re.search(r"<script[^>]+src=|<link[^>]+href=[\"']https?:", page), f"{name} loads a remote resource"
        assert "../index.html" in page
    widget_page = (out / "notebooks" / "02_second.html").read_text()
    assert re.search(r'<img alt="widget image" src="data:image/png;base64,[A-Za-z0-9+/=]{50,}"', widget_page)
    assert "widget-state+json" not in widget_page  # the state was shown as images; its scripts would need a CDN
    assert "open the notebook in JupyterLab" in widget_page
    assert "ValueError" in (out / "notebooks" / "03_broken.html").read_text()


def test_report_only_rebuilds_without_executing_and_refuses_an_empty_run(collection, tmp_path, monkeypatch, capsys):
    executed, figures, out = collection
    monkeypatch.setenv("FAIRGAP_FIGURES", str(figures))
    monkeypatch.setattr(run_notebooks, "run_notebook", lambda *a, **k: pytest.fail("--report-only executed a notebook"))
    assert run_notebooks.main(["--profile", "smoke", "--report-only", "--executed", str(executed),
                               "--report", str(out)]) == 0
    assert "Report:" in capsys.readouterr().out and (out / "figures/01_first/F1_thing.png").is_file()
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert run_notebooks.main(["--profile", "smoke", "--report-only", "--executed", str(empty),
                               "--report", str(tmp_path / "r2")]) == 1
    err = capsys.readouterr().err
    assert "no executed notebooks" in err and "./run_all.sh --profile smoke" in err


def test_an_executed_notebook_missing_from_the_summary_is_still_listed(collection):
    executed, figures, out = collection
    (executed / run_notebooks.SUMMARY_FILE).unlink()
    (executed / "04_truncated.ipynb").write_text('{"cells": [')   # a run killed while writing it
    text = report.build_report("smoke", executed=executed, report_dir=out, figures=figures).read_text()
    assert text.count("not recorded") == 2 * (len(NOTEBOOKS) + 1)   # the contents table and each section
    assert "the report could not render 04_truncated.ipynb" in text


def test_a_folder_that_is_not_a_report_is_never_replaced(collection, tmp_path):
    executed, figures, _ = collection
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("keep me")
    with pytest.raises(report.ReportError, match="holds no report"):
        report.build_report("smoke", executed=executed, report_dir=precious, figures=figures)
    assert (precious / "thesis.tex").read_text() == "keep me"


def test_runner_arguments_are_checked_without_running(capsys):
    with pytest.raises(SystemExit):
        run_notebooks.main(["--jobs", "0", "--check-arguments"])
    assert "--jobs" in capsys.readouterr().err
    assert run_notebooks.main(["--only", "99", "--check-arguments"]) == 2
    assert "Notebooks there: 00_classical_vs_deep, 01_fairness_overfits" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_notebooks.main(["--report-only", "--only", "01"])
    assert run_notebooks.main(["--profile", "smoke", "--only", "01", "--jobs", "3", "--check-arguments"]) == 0


def test_jobs_auto_uses_the_cores_for_smoke_only(monkeypatch):
    monkeypatch.setattr(run_notebooks, "available_cores", lambda: 4)
    assert run_notebooks.resolve_jobs("auto", "smoke", 7) == 4
    assert run_notebooks.resolve_jobs("auto", "smoke", 2) == 2
    assert run_notebooks.resolve_jobs("auto", "default", 7) == 1
    assert run_notebooks.resolve_jobs(3, "paper", 7) == 3


def test_a_notebooks_second_run_on_a_table_is_titled_with_the_table(collection):
    executed, figures, out = collection
    for key in ("01_first-adult", "01_first-file-hiring"):
        _executed(executed / f"{key}.ipynb")
        (executed / f"{key}.ipynb").write_text((executed / f"{key}.ipynb").read_text().replace(key, "01_first"))
    text = report.build_report("smoke", executed=executed, report_dir=out, figures=figures).read_text()
    assert text.count(">Title of 01_first<") == 2   # the run on its own data: contents table and section
    assert text.count(">Title of 01_first (on the table adult)<") == 2
    assert text.count(">Title of 01_first (on the table hiring)<") == 2
