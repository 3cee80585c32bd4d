"""A table as the data of notebooks 01-04 and 07: their ``table``, ``target``, ``sensitive``, ``positive`` and
``train_size`` parameters as a run's dataset and options (``table_run``), where the run keeps its outputs
(``notebook_key``), and the held-out split said in prose and under figures (``held_out_note``, ``caption``).

It sits above the table loader (``fairgap.tabular``) and the table dataset (``fairgap.data.table``), which reads its
rows through the loader.
"""

from __future__ import annotations

from .data.table import TABLE, load_table_dataset
from .paths import notebook_key  # noqa: F401  (a notebook calls one module for everything about its table)
from .tabular import TABLES, load_table, resolve_table_path

TABLE_TRAIN_SIZE = 2000   # training rows drawn at random from the table, the rest its test split (and validation)
TABLE_VAL_SIZE = 1000     # at most; a quarter of the rows left after training on a smaller table


def table_run(table: str | None, target: str | None = None, sensitive: str | None = None, positive=None,
              train_size: int | None = None, dataset: str | None = None, data: dict | None = None,
              results: str = "train") -> tuple:
    """A notebook's ``dataset`` and ``data`` for its ``table`` parameters: (dataset, data) unchanged where ``table`` is
    None (the profile's images); else ("table", the options of ``fairgap.data.table.load_table_dataset``): a random
    stratified sample of ``train_size`` training rows (None: ``TABLE_TRAIN_SIZE``; at most half the table, said when
    cut), a validation split taken from the rest (``TABLE_VAL_SIZE`` rows at most, a quarter of the rest on a small
    table) and every other row the test split. The table is read here, so a misspelt column fails before any run.
    ``results`` "committed" reads the table's kept runs (``fairgap.committed``, under ``notebook_key``'s folder)."""
    if table is None:
        if any(v is not None for v in (target, sensitive, positive)):
            raise ValueError(f"target, sensitive and positive describe a table: set table (a bundled table's name, "
                             f"{', '.join(TABLES)}, or a CSV or Parquet file) or leave them None "
                             f"(got target={target!r}, sensitive={sensitive!r}, positive={positive!r}).")
        return dataset, data
    if dataset is not None:
        raise ValueError(f"Give a table or a dataset, not both (got table={table!r} and dataset={dataset!r}).")
    loaded = load_table(table, target=target, sensitive=sensitive, positive=positive)
    rows = len(loaded.y)
    asked = TABLE_TRAIN_SIZE if train_size is None else train_size
    if not isinstance(asked, int) or isinstance(asked, bool) or asked < 2:
        raise ValueError(f"train_size must be a whole number of training rows (at least 2), got {asked!r}.")
    n_train = min(asked, rows // 2)
    if n_train < asked:
        print(f"{loaded.name}: {rows} rows; training on {n_train} (half the table), not train_size={asked}, "
              f"so that the test split is as large as the training set.")
    n_val = min(TABLE_VAL_SIZE, (rows - n_train) // 4)
    source = table if table in TABLES else str(resolve_table_path(table))
    options = {"table": source, "target": target, "sensitive": sensitive, "positive": positive,
               "train_size": n_train, "val_size": n_val}
    return TABLE, {**options, **dict(data or {})}


def is_table_run(dataset: str | None) -> bool:
    return dataset == TABLE


def held_out_note(dataset: str | None, data: dict | None, seed: int = 0, markdown: bool = True) -> str | None:
    """On a table (``table_run``'s dataset): which split the held-out measure is and its size per group, in words
    (the split of ``seed``; every seed's split has the same sizes up to a row), as Markdown or (``markdown`` False)
    as a figure's text; None on images."""
    if not is_table_run(dataset):
        return None
    from .evidence import figure_text, text

    shown = text if markdown else figure_text
    loaded = load_table_dataset(seed=seed, **dict(data))
    test, train = loaded["test"], loaded["train"]
    sizes = ", ".join(f"{shown(label)} {int((test.group == g).sum()):,}" for g, label in enumerate(loaded.group_labels))
    return (f"Table {shown(loaded.name)} (groups: {shown(loaded.group_name)}): a real table has no population, so the "
            f"held-out measure is its test split ({len(test):,} rows: {sizes}); each seed trains on a random "
            f"{len(train):,} rows.")


def caption(fig, dataset: str | None, data: dict | None):
    """Write ``held_out_note`` under ``fig`` on a table; nothing on images (the figure unchanged)."""
    note = held_out_note(dataset, data, markdown=False)
    if note is not None:
        import textwrap

        fig.text(0.01, -0.01, "\n".join(textwrap.wrap(note, 160)), ha="left", va="top", fontsize=8)
    return fig
