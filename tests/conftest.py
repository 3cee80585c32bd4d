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
