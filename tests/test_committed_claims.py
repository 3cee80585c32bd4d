"""Every committed claims table (figures/<notebook>/claims.csv) is rebuilt from the per-seed values saved
beside it (claims_values.csv), and the collection's primary claims are the declared ones, rest on at
least 10 seeds or splits, and carry Holm's adjustment over all of them in their family (their data source).

What a reviewer can check without rerunning anything: a table whose estimate, interval, p-value or verdict
does not follow from its saved values, a primary claim that was not declared, or an adjustment that left
one out, fails here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgap.claims import mark_primary
from fairgap.claims.primary import FAMILIES, PRIMARY, declared_counts, family_of, family_size
from fairgap.evidence import CLAIM_COLUMNS, EXPLORATORY, PRIMARY as PRIMARY_KIND, holm, rebuild_claims
from fairgap.paths import project_root

FIGURES = project_root() / "figures"
TABLES = sorted(path.parent.name for path in FIGURES.glob("*/claims.csv"))
MIN_PRIMARY_UNITS = 10


def load(notebook: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = FIGURES / notebook
    assert (folder / "claims_values.csv").exists(), f"{notebook}: no claims_values.csv beside claims.csv"
    return pd.read_csv(folder / "claims.csv"), pd.read_csv(folder / "claims_values.csv")


def test_every_notebook_has_a_committed_claims_table():
    assert TABLES == sorted(PRIMARY), "figures/ should hold one claims table per notebook of the collection"


@pytest.mark.parametrize("notebook", TABLES)
def test_claims_table_rebuilds_from_its_per_seed_values(notebook):
    claims, values = load(notebook)
    assert tuple(claims.columns) == CLAIM_COLUMNS
    unknown = set(values.claim) - set(claims.claim)
    assert not unknown, f"{notebook}: values for claims the table does not have: {sorted(unknown)[:3]}"
    pd.testing.assert_frame_equal(rebuild_claims(claims, values), claims, check_dtype=False, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("notebook", TABLES)
def test_primary_claims_are_the_declared_ones_at_ten_seeds_or_more(notebook):
    claims, _ = load(notebook)
    # mark_primary reads the declared prefixes as the notebooks do ({held-out}: population or test).
    declared = mark_primary(claims.assign(kind=EXPLORATORY), notebook)
    assert list(declared.kind) == list(claims.kind), f"{notebook}: primary claims other than the declared ones"
    primary = claims[claims.kind == PRIMARY_KIND]
    assert len(primary) == len(PRIMARY[notebook]), f"{notebook}: a declared primary claim is missing from claims.csv"
    for _, row in primary.iterrows():  # a primary its rule cannot test is a design failure, not a verdict
        assert "not testable" not in row.claim and row.n >= MIN_PRIMARY_UNITS, \
            f"{notebook}: {row.claim!r} rests on {row.n} seeds"


def test_holm_adjustment_spans_each_family_of_the_collection():
    pooled = pd.concat([load(notebook)[0].assign(notebook=notebook) for notebook in TABLES])
    primary = pooled[pooled.kind == PRIMARY_KIND]
    assert len(primary) == sum(declared_counts().values())
    family = primary.apply(lambda row: family_of(row.notebook, row.claim), axis=1)
    assert set(family) == set(FAMILIES), "both data sources' families are in the committed figures"
    for name in FAMILIES:
        mine = primary[family == name]
        assert len(mine) == family_size(name)
        assert np.allclose(holm(mine.p_value.to_numpy()), mine.p_adjusted.to_numpy(), rtol=1e-9, equal_nan=True)
    assert pooled[pooled.kind != PRIMARY_KIND].p_adjusted.isna().all()
