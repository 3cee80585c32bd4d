"""A notebook's results as committed beside its figures, so that it can be read without training.

Every notebook has a parameter ``results``: ``"train"`` (the default: train its runs, or read them from the
results cache) or ``"committed"`` (read the tables its runs gave from ``figures/<notebook>/``; train nothing).
When training, a study's entry function keeps the table its runs gave (``keep``), per seed, as
``<figures dir>/<notebook>/<name>.csv.gz`` (a CSV, gzipped without a name or time in its header, so the same table
gives the same bytes) with its column types beside it (``<name>.dtypes.json``); with
``results="committed"`` it reads that table back (``load``), with the same columns, rows and types, and
everything after it runs the same code, so the figures' CSVs and the claims tables come out byte-identical.
``tables`` is the one call the studies make.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Callable

import pandas as pd

from .io import atomic_path, read_json, write_json
from .paths import figures_dir

RESULTS = ("train", "committed")
TRAIN, COMMITTED = RESULTS


class MissingCommittedResults(FileNotFoundError):
    """``results="committed"`` asked for a table that was never written beside the figures."""


def check_results(results: str) -> str:
    if results not in RESULTS:
        raise ValueError(f"results={results!r} is not one of {', '.join(map(repr, RESULTS))}: \"train\" trains the "
                         "runs (or reads them from the results cache); \"committed\" reads the committed tables in "
                         "figures/<notebook>/ and trains nothing.")
    return results


def table_path(notebook: str, name: str = "runs", profile: str = "default") -> Path:
    """Where ``notebook``'s table ``name`` is kept: ``<figures dir of profile>/<notebook>/<name>.csv.gz``."""
    return figures_dir(profile) / notebook / f"{name}.csv.gz"


def _dtypes_path(path: Path) -> Path:
    return path.parent / (path.name.removesuffix(".csv.gz") + ".dtypes.json")


def keep(frame: pd.DataFrame, notebook: str, name: str = "runs", profile: str = "default") -> Path:
    """Write ``frame`` (no index) and its column types beside ``notebook``'s figures; returns the CSV's path."""
    path = table_path(notebook, name, profile)
    with atomic_path(path, suffix=".csv.gz") as tmp:
        tmp.write_bytes(gzip.compress(frame.to_csv(index=False).encode(), compresslevel=9, mtime=0))
    write_json(_dtypes_path(path), [[column, str(dtype)] for column, dtype in frame.dtypes.items()])  # in column order
    return path


def load(notebook: str, name: str = "runs", profile: str = "default") -> pd.DataFrame:
    """The table ``keep`` wrote, with its columns in order and their types restored."""
    path = table_path(notebook, name, profile)
    if not path.is_file() or not _dtypes_path(path).is_file():
        missing = path if not path.is_file() else _dtypes_path(path)
        raise MissingCommittedResults(
            f"results=\"committed\" needs {missing}, which does not exist: it is written when notebook {notebook} "
            f"runs with results=\"train\" (profile {profile!r}). Run the notebook with results=\"train\" (it trains, "
            "or reads the results cache), or check out the committed figures/.")
    dtypes = dict(read_json(_dtypes_path(path)))
    text = {column: "str" for column, dtype in dtypes.items() if dtype in ("str", "object", "string")}
    frame = pd.read_csv(path, dtype=text)   # pandas 3 reads floats back exactly (round trip)
    if list(frame.columns) != list(dtypes):
        raise MissingCommittedResults(f"{path}: its columns {list(frame.columns)} are not those of "
                                      f"{_dtypes_path(path)} ({list(dtypes)}); rerun notebook {notebook} with "
                                      "results=\"train\" to write both again.")
    for column, dtype in dtypes.items():
        if column not in text and str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def tables(notebook: str, profile: str, results: str, compute: Callable[[], pd.DataFrame],
           name: str = "runs") -> pd.DataFrame:
    """``compute()`` (training, or reading the results cache) kept beside the figures, for ``results="train"``;
    the kept table, read back, for ``results="committed"`` (``compute`` is not called)."""
    if check_results(results) == COMMITTED:
        return load(notebook, name, profile)
    frame = compute()
    keep(frame, notebook, name, profile)
    return frame


class TrainingRefused(RuntimeError):
    """An explorer's control that would train, in a notebook run with results="committed"."""


def refusing_trainer(what: str):
    """A stand-in for an explorer's ``train_new`` under results="committed": it trains nothing and raises
    ``TrainingRefused``, whose message the explorer shows (what it needs, and how to train it)."""
    def train_new(*_args, **_kwargs):
        raise TrainingRefused(
            f"{what} needs new training runs, and this notebook reads the committed results "
            "(results=\"committed\"), which never trains. To train them, set results = \"train\" in the parameters "
            "cell and run the notebook again (or run ./run_all.sh without --from-figures); runs already in the "
            "results cache are read, not retrained.")
    return train_new
