"""Tabular data with a sensitive attribute: bring your own pandas DataFrame, or use the bundled Adult table.

``from_dataframe(frame, target=..., sensitive=...)`` turns any DataFrame with a binary (or binarised)
target column and a sensitive-attribute column into a ``Table``; ``Table.splits(n)`` draws ``n``
stratified random train/test splits (stratified on target x group, so every split keeps each group's
base rate), each encoded with what was fitted **on its training rows only**:

* categorical columns (strings, categories, booleans, and any column named in ``categorical=``) are
  one-hot encoded with the categories seen in training (a category seen only in test encodes as
  all zeros); a missing value is its own category, ``"missing"``;
* numeric columns are imputed with the training mean and standardised with the training mean and
  standard deviation.

The sensitive column is not a feature unless ``include_sensitive=True`` (the models of notebook 00 see
it only through the fairness constraint, as in fairlearn's examples). Rows with a missing target or
sensitive value are dropped (``Table.dropped_rows`` counts them, with a warning).

Bundled: ``adult()`` reads the UCI Adult training file vendored in ``fairgap/datasets_vendored/adult/``
(CC BY 4.0; source and checksum in the README there), with *income > $50K* as the target and *sex* as
the sensitive attribute. With network access, ``fetch("adult")`` and ``fetch("acs_income")`` read
fairlearn's fetchers (OpenML Adult; the ACS Income table of Ding et al. 2021) through the same loader.
They download on first use (into fairlearn's cache, ``~/.fairlearn-data``) and are never used by the
tests or the notebooks' defaults.
"""

from __future__ import annotations

import gzip
import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

# Where notebooks 00 and 08 keep a run on a user's table (figures/00_classical_vs_deep-file-my/): named here too, so
# that they call one module for everything about their tables.
from .paths import notebook_key, run_key  # noqa: F401

VENDORED = Path(__file__).resolve().parent / "datasets_vendored"
ADULT_FILE = VENDORED / "adult" / "adult.data.gz"
ADULT_SHA256 = "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"
ADULT_COLUMNS = ("age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
                 "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
                 "income")
MAX_GROUPS = 20
MISSING = "missing"


@dataclass(frozen=True)
class TabularSplit:
    """One random train/test split, encoded (features fitted on the training rows only)."""

    x_train: np.ndarray
    y_train: np.ndarray
    g_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    g_test: np.ndarray
    feature_names: list[str]
    group_labels: tuple[str, ...]
    seed: int
    name: str = "table"
    train_rows: np.ndarray | None = None   # positions of the split's rows in the Table (None: not from a Table)
    test_rows: np.ndarray | None = None

    def part(self, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(features, target, group) of ``"train"`` or ``"test"``."""
        if split not in ("train", "test"):
            raise ValueError(f"Unknown split {split!r}; a TabularSplit has 'train' and 'test'.")
        return getattr(self, f"x_{split}"), getattr(self, f"y_{split}"), getattr(self, f"g_{split}")

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


@dataclass
class Table:
    """A DataFrame's features, binary target and group codes, ready to be split (see ``from_dataframe``)."""

    name: str
    features: pd.DataFrame
    y: np.ndarray
    group: np.ndarray
    target_name: str
    group_name: str
    group_labels: tuple[str, ...]
    categorical: list[str]
    numeric: list[str]
    dropped_rows: int = 0
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def describe(self) -> pd.DataFrame:
        """Rows and positive rate (the target's base rate) per group."""
        frame = pd.DataFrame({self.group_name: np.asarray(self.group_labels)[self.group], self.target_name: self.y})
        return frame.groupby(self.group_name)[self.target_name].agg(rows="size", positive_rate="mean")

    def split(self, seed: int = 0, train_size: int | float = 0.5, test_size: int | float | None = None) -> TabularSplit:
        """A stratified random train/test split (rows or fractions; ``test_size=None``: every other row)."""
        from sklearn.model_selection import train_test_split

        strata = self.group * 2 + self.y
        counts = np.bincount(strata, minlength=2 * len(self.group_labels))   # a cell with no rows counts too
        if counts.min() < 2:
            bad = int(counts.argmin())
            raise ValueError(f"{self.name}: the cell {self.group_name}={self.group_labels[bad // 2]!r}, "
                             f"{self.target_name}={bad % 2} has only {counts.min()} row(s); a stratified split needs "
                             f"at least 2 per (group, target) cell, and a group's error rates need both target values. "
                             f"Merge rare groups or choose another column.")
        try:
            train, test = train_test_split(np.arange(len(self.y)), train_size=train_size, test_size=test_size,
                                           stratify=strata, random_state=seed)
        except ValueError as err:
            raise ValueError(f"{self.name}: cannot draw a stratified split with train_size={train_size}, "
                             f"test_size={test_size} from {len(self.y)} rows: {err}") from err
        for part, rows in (("training", train), ("test", test)):   # a (group, target) cell may be empty; a group not
            present = np.bincount(self.group[rows], minlength=len(self.group_labels))
            if present.min() == 0:
                bad = int(present.argmin())
                raise ValueError(f"{self.name}: the split (seed {seed}, train_size={train_size}) leaves no {part} row "
                                 f"with {self.group_name}={self.group_labels[bad]!r} (the table has "
                                 f"{int((self.group == bad).sum())} such rows of {len(self.y)}): that group cannot be "
                                 f"measured. Use a larger training and test set, or merge that group with another (or "
                                 f"choose another sensitive column).")
        encoder = make_encoder(self.categorical, self.numeric)
        x_train = encoder.fit_transform(self._prepared(train)).astype(np.float32)
        x_test = encoder.transform(self._prepared(test)).astype(np.float32)
        return TabularSplit(x_train, self.y[train], self.group[train], x_test, self.y[test], self.group[test],
                            [str(n) for n in encoder.get_feature_names_out()], self.group_labels, seed, self.name,
                            train, test)

    def splits(self, n_splits: int = 10, train_size: int | float = 0.5, test_size: int | float | None = None,
               first_seed: int = 0) -> list[TabularSplit]:
        """``n_splits`` independent stratified random splits, seeds ``first_seed`` ... ``first_seed + n - 1``."""
        if n_splits < 1:
            raise ValueError(f"n_splits must be at least 1, got {n_splits}.")
        return [self.split(seed, train_size, test_size) for seed in range(first_seed, first_seed + n_splits)]

    def _prepared(self, rows: np.ndarray) -> pd.DataFrame:
        part = self.features.iloc[rows].copy()
        for column in self.categorical:
            part[column] = part[column].astype("object").where(part[column].notna(), MISSING).astype(str)
        return part


def make_encoder(categorical: list[str], numeric: list[str]):
    """One-hot for categorical columns, mean-impute + standardise for numeric ones (fit on train only)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    if categorical:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical))
    if numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), numeric))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def _check_columns(frame: pd.DataFrame, **roles) -> None:
    """Raise one error naming every requested column that is not in ``frame`` (and the valid ones)."""
    import difflib

    columns = [str(c) for c in frame.columns]
    missing = []
    for role, names in roles.items():
        for name in names:
            if name not in frame.columns:
                close = difflib.get_close_matches(str(name), columns, n=1)
                missing.append(f"{name!r} ({role})" + (f" (did you mean {close[0]!r}?)" if close else ""))
    if missing:
        raise ValueError(f"Column(s) not in the table: {', '.join(missing)}. Valid columns: "
                         f"{', '.join(repr(c) for c in columns)}. Pass names exactly as they appear.")


def _binary_target(values: pd.Series, target: str, positive) -> np.ndarray:
    if callable(positive):
        return np.asarray(positive(values), dtype=bool).astype(np.int64)
    distinct = pd.unique(values)
    shown = ", ".join(repr(v) for v in sorted(distinct, key=str)[:10]) + (" ..." if len(distinct) > 10 else "")
    if len(distinct) > 2:
        raise ValueError(f"Target column {target!r} has {len(distinct)} distinct values ({shown}); it must have two. "
                         f"Make a two-valued column of the outcome you mean (e.g. in the file, hired = yes/no) and "
                         f"name it as target, or, in code, pass positive=<a function of the column returning booleans> "
                         f"(e.g. positive=lambda grade: grade >= 3).")
    if positive is None:
        if set(distinct) <= {0, 1}:  # 0/1 and False/True
            return values.astype(np.int64).to_numpy()
        raise ValueError(f"Target column {target!r} is not 0/1 (its values: {shown}); pass positive=<the value "
                         f"that counts as the positive class>, or a function of the column (e.g. "
                         f"positive=lambda income: income > 50000).")
    if positive not in set(distinct):
        raise ValueError(f"positive={positive!r} does not occur in target column {target!r}; its values: {shown}.")
    return (values == positive).to_numpy().astype(np.int64)


def from_dataframe(frame: pd.DataFrame, target: str, sensitive: str, positive=None,
                   features: list[str] | None = None, categorical: tuple[str, ...] | list[str] = (),
                   drop: tuple[str, ...] | list[str] = (), include_sensitive: bool = False,
                   name: str = "table") -> Table:
    """A ``Table`` from any DataFrame.

    target: the column to predict; 0/1 or boolean, else name its positive value with ``positive`` (a value,
        or a function of the column returning booleans, e.g. ``lambda income: income > 50000``).
    sensitive: the column whose values are the groups (2 to 20 distinct values; bin a numeric one first).
    features: the feature columns (default: every other column, less ``drop``).
    categorical: columns to one-hot encode even though they hold numbers (codes); strings, categories and
        booleans are always treated as categorical.
    include_sensitive: also use the sensitive column as a feature.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"from_dataframe needs a pandas DataFrame, got {type(frame).__name__}.")
    _check_columns(frame, target=[target], sensitive=[sensitive], features=list(features or []),
                   categorical=list(categorical), drop=list(drop))
    if target == sensitive:
        raise ValueError(f"The target and the sensitive column are both {target!r}; they must differ.")
    keep = frame[frame[target].notna() & frame[sensitive].notna()]
    dropped = len(frame) - len(keep)
    if dropped:
        warnings.warn(f"{name}: dropped {dropped} row(s) with a missing {target!r} or {sensitive!r}.", stacklevel=2)
    groups = sorted(pd.unique(keep[sensitive]), key=str)
    if len(groups) < 2:
        only = f"only the group {groups[0]!r}" if groups else "no rows"
        raise ValueError(f"Sensitive column {sensitive!r} has {only} in {len(keep)} row(s): a disparity needs at "
                         f"least two groups. Choose another sensitive column, or a table with more than one group.")
    if len(groups) > MAX_GROUPS:
        raise ValueError(f"Sensitive column {sensitive!r} has {len(groups)} distinct values (at most {MAX_GROUPS} "
                         f"groups are supported); bin it first, e.g. frame['age_group'] = pd.cut(frame['age'], "
                         f"[0, 40, 120]).")
    y = _binary_target(keep[target], target, positive)
    group = pd.Categorical(keep[sensitive], categories=groups).codes.astype(np.int64)
    excluded = {target, *drop} | (set() if include_sensitive else {sensitive})
    columns = list(features) if features is not None else [c for c in keep.columns if c not in excluded]
    if target in columns:
        raise ValueError(f"The target {target!r} cannot also be a feature.")
    if not columns:
        raise ValueError(f"No feature columns are left (target {target!r}, sensitive {sensitive!r}, "
                         f"dropped {list(drop)}); name some with features=[...].")
    data = keep[columns].reset_index(drop=True)
    cat = [c for c in columns if c in set(categorical) or not pd.api.types.is_numeric_dtype(data[c])
           or pd.api.types.is_bool_dtype(data[c])]
    num = [c for c in columns if c not in cat]
    return Table(name, data, y, group, str(target), str(sensitive), tuple(str(g) for g in groups), cat, num, dropped)


def read_adult() -> pd.DataFrame:
    """The vendored UCI Adult training file (32,561 rows) as a DataFrame, its checksum verified."""
    if not ADULT_FILE.is_file():
        raise FileNotFoundError(f"The vendored Adult table is missing: expected {ADULT_FILE} (it ships in the "
                                f"repository; reinstall with `pip install -e .` from a full checkout).")
    raw = gzip.decompress(ADULT_FILE.read_bytes())
    if hashlib.sha256(raw).hexdigest() != ADULT_SHA256:
        raise ValueError(f"{ADULT_FILE} does not match the UCI file's SHA-256 {ADULT_SHA256}; restore it from git.")
    from io import BytesIO

    frame = pd.read_csv(BytesIO(raw), header=None, names=list(ADULT_COLUMNS), skipinitialspace=True,
                        na_values="?", index_col=False)
    return frame.dropna(how="all")


def adult(sensitive: str = "sex", drop: tuple[str, ...] = ("fnlwgt", "education"), **options) -> Table:
    """UCI Adult (vendored): predict income > $50K; groups = ``sensitive`` ("sex" or "race").

    ``fnlwgt`` (a census sampling weight, not a property of the person) and ``education`` (the same
    information as ``education-num``) are dropped by default.
    """
    return from_dataframe(read_adult(), target="income", sensitive=sensitive, positive=">50K", drop=drop,
                          name="adult", **options)


FETCHERS = {
    # name: (fairlearn fetcher, target, positive, default sensitive column, columns holding category codes)
    "adult": ("fetch_adult", "class", ">50K", "sex", ()),
    "acs_income": ("fetch_acs_income", "PINCP", lambda income: income > 50_000, "SEX",
                   ("COW", "SCHL", "MAR", "OCCP", "POBP", "RELP", "RAC1P")),
}


def fetch(name: str, sensitive: str | None = None, fetch_options: dict | None = None, **options) -> Table:
    """A fairlearn dataset through ``from_dataframe``. Needs network access on first use (fairlearn caches it).

    ``fetch("adult")``: OpenML's Adult (48,842 rows; the UCI train and test files together), sensitive "sex".
    ``fetch("acs_income", fetch_options={"states": ["CA"]})``: ACS Income (Ding et al. 2021), income above
    $50,000, sensitive "SEX" (1 male, 2 female; or "RAC1P").
    Not used by the tests or the notebooks' defaults.
    """
    if name not in FETCHERS:
        raise ValueError(f"Unknown fairlearn dataset {name!r}. Valid: {', '.join(FETCHERS)}.")
    import fairlearn.datasets

    function, target, positive, default_sensitive, codes = FETCHERS[name]
    bunch = getattr(fairlearn.datasets, function)(as_frame=True, **(fetch_options or {}))
    return from_dataframe(bunch.frame, target=target, sensitive=sensitive or default_sensitive, positive=positive,
                          categorical=options.pop("categorical", codes), name=name, **options)


TABLES: dict[str, Callable[..., Table]] = {"adult": adult}
FILE_SUFFIXES = (".csv", ".parquet", ".pq")


def _looks_like_path(name: str) -> bool:
    return name.lower().endswith((*FILE_SUFFIXES, ".csv.gz")) or "/" in name or "\\" in name


def resolve_table_path(name: str) -> Path:
    """The file ``name`` names: absolute as given; relative to the folder ``run_all.sh`` was started from
    (``FAIRGAP_INVOKED_FROM``, which it sets), the current folder, or the checkout, the first that exists.
    A missing file raises FileNotFoundError naming every place looked in."""
    import os

    from .paths import project_root

    path = Path(name).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        bases = [os.environ.get("FAIRGAP_INVOKED_FROM"), Path.cwd(), project_root()]
        candidates = list(dict.fromkeys(Path(b) / path for b in bases if b))
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise FileNotFoundError(f"table={name!r}: no such file (looked for {', '.join(str(c) for c in candidates)}). "
                            f"Give the path of a CSV or Parquet file (absolute, or relative to the folder you run "
                            f"from), or a bundled table's name ({', '.join(TABLES)}).")


def read_table_file(path: Path) -> pd.DataFrame:
    """A CSV (also .csv.gz) or Parquet file as a DataFrame."""
    suffix = "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".csv.gz") else path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError as err:
            raise ImportError(f"{path}: reading Parquet needs pyarrow (or fastparquet), which is not installed: "
                              f"`.venv/bin/pip install pyarrow`, or save the table as CSV.") from err
    if suffix in (".csv", ".csv.gz", ".txt", ""):
        return pd.read_csv(path)
    raise ValueError(f"{path}: unknown table format {suffix!r}; give a .csv (or .csv.gz) or .parquet file.")


def load_table(name: str, target: str | None = None, sensitive: str | None = None, positive=None,
               **options) -> Table:
    """A bundled table by name (works offline), or a CSV / Parquet file by path.

    For a file, ``target`` and ``sensitive`` name its columns and ``positive`` the target's positive value
    (not needed for a 0/1 or boolean target); the rest goes to ``from_dataframe``. A bundled table takes
    ``sensitive`` (Adult: "sex" or "race") and has its own target.
    """
    if not isinstance(name, str):
        raise TypeError(f"table must be a bundled table's name or a file path (a string), got {type(name).__name__}; "
                        f"a DataFrame goes through fairgap.tabular.from_dataframe.")
    if name in TABLES:
        if target is not None or positive is not None:
            raise ValueError(f"The bundled table {name!r} has its own target; leave target and positive as None "
                             f"(got target={target!r}, positive={positive!r}), or give a file of your own as table.")
        return TABLES[name](**({"sensitive": sensitive} if sensitive is not None else {}), **options)
    if not _looks_like_path(name) and not Path(name).expanduser().is_file():
        raise ValueError(f"Unknown bundled table {name!r}. Valid: {', '.join(TABLES)}; or the path of a CSV or "
                         f"Parquet file (with target=..., sensitive=...); or build a Table from your own DataFrame "
                         f"with fairgap.tabular.from_dataframe(frame, target=..., sensitive=...).")
    path = resolve_table_path(name)
    frame = read_table_file(path)
    if target is None or sensitive is None:
        raise ValueError(f"table={name!r} is a file: name its target and sensitive columns (target=..., "
                         f"sensitive=...; in a notebook, the parameters of those names). Its columns: "
                         f"{', '.join(repr(str(c)) for c in frame.columns)}.")
    return from_dataframe(frame, target=target, sensitive=sensitive, positive=positive,
                          name=options.pop("name", path.stem), **options)
