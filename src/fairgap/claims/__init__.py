"""The claims table each notebook ends with, saved and adjusted over the collection. Each notebook's claims are
its study's (``fairgap.studies``); ``primary`` declares the primary claims, ``sweep_rules`` holds what the
sweeps' claims share.

Every ``*_claims`` function takes a results table and returns ``fairgap.evidence.claims_table([...])``.
``save`` marks the notebook's declared primary claims (``fairgap.claims.primary``), writes the table
and the per-seed values behind it, and Holm-adjusts the collection's primary claims.
"""

from __future__ import annotations

import pandas as pd

from ..evidence import PRIMARY as PRIMARY_KIND, adjust_collection, save_claims
from .primary import PRIMARY, declared_families, family_of, prefix_pattern


def mark_primary(table: pd.DataFrame, notebook: str) -> pd.DataFrame:
    """``table`` with ``kind`` = "primary" on the rows that start with one of the notebook's declared
    prefixes (``HELD_OUT`` in a prefix stands for "population" or "test": where generalisation was
    measured). A prefix that matches more than one claim is a mistake in the declaration."""
    table = table.copy()
    for prefix in PRIMARY.get(notebook, ()):
        rows = table.index[table.claim.str.match(prefix_pattern(prefix))]
        if len(rows) > 1:
            raise ValueError(f"The primary claim {prefix!r} of {notebook} matches {len(rows)} claims: "
                             f"{table.claim[rows].tolist()}; make the declaration in fairgap/claims/primary.py unique.")
        table.loc[rows, "kind"] = PRIMARY_KIND
    return table


def save(table: pd.DataFrame, notebook: str, profile: str = "default") -> pd.DataFrame:
    """Mark, save and Holm-adjust ``table`` (see ``fairgap.evidence.save_claims``); returns the adjusted
    table, whose verdicts the notebook's prose must use."""
    return save_claims(mark_primary(table, notebook), notebook, profile, declared=declared_families(), family=family_of)


def adjust(folder) -> dict[str, pd.DataFrame]:
    """Holm over every primary claim of the claims tables under ``folder``, within each family
    (``adjust_collection``)."""
    return adjust_collection(folder, declared_families(), family_of)
