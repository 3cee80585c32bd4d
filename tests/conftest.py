"""Every test writes data, results and figures under a temporary folder, never into the checkout."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def isolated_storage(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.getbasetemp()
    # Data is shared across the session (generation is deterministic); results and figures are per test.
    monkeypatch.setenv("FAIRGAP_DATA", str(root / "data"))
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path_factory.mktemp("results")))
    monkeypatch.setenv("FAIRGAP_FIGURES", str(tmp_path_factory.mktemp("figures")))


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The whole collection executed once in the smoke profile (``run_notebooks.main``, which also builds the
    report), in its own folders; shared by the tests that need executed notebooks, so they run it once."""
    import contextlib
    import io
    from types import SimpleNamespace

    from fairgap import run_notebooks

    root = tmp_path_factory.mktemp("smoke-run")
    run = SimpleNamespace(executed=root / "executed", report=root / "report", figures=root / "figures")
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(io.StringIO()) as out:
        patch.setenv("FAIRGAP_DATA", str(tmp_path_factory.getbasetemp() / "data"))
        patch.setenv("FAIRGAP_RESULTS", str(root / "results"))
        patch.setenv("FAIRGAP_FIGURES", str(run.figures))
        run.code = run_notebooks.main(["--profile", "smoke", "--executed", str(run.executed),
                                       "--report", str(run.report)])
    run.output = out.getvalue()
    print(run.output)
    return run
