"""The declared primary claims (fairgap.claims.primary): every declaration names its question, rule, operating
point, margin, n and pilot; pilots never ran on seeds the committed figures or their replication use; and
the collection stays within its limits (at most two per notebook and data source, 15 on generated data)."""

import math
import re

import pytest

from fairgap.claims import primary
from fairgap.evidence import seeds_needed
from fairgap.paths import base_notebook, project_root
from fairgap.profiles import SWEEP_SCALE

DECLARATIONS = [(notebook, p) for notebook, claims in primary.DECLARED.items() for p in claims]
# Seeds the committed runs use (the default profile's) and those of the replication (offset 100).
COMMITTED = set(SWEEP_SCALE["default"]["primary_seeds"]) | set(SWEEP_SCALE["default"]["seeds"])
REPLICATION = {seed + 100 for seed in COMMITTED}


@pytest.mark.parametrize("notebook, declared", DECLARATIONS, ids=[p.prefix[:40] for _, p in DECLARATIONS])
def test_every_declaration_names_its_rule_margin_n_and_pilot(notebook, declared):
    assert declared.question.strip() and declared.rule.strip() and declared.operating_point.strip()
    assert math.isfinite(declared.margin)
    assert declared.n >= 10, "a primary rests on at least 10 seeds or splits"
    assert declared.pilot_seeds and not set(declared.pilot_seeds) & (COMMITTED | REPLICATION), \
        "a pilot runs on seeds the committed figures and their replication never use"
    assert declared.pilot.strip() and "TBD" not in declared.pilot, "the pilot's numbers are filled in"
    assert declared.n_needed >= 2
    # The pilot's words give its SD, and n_needed follows from it at the collection's effect size.
    sd = float(re.search(r"SD ([0-9.]+)", declared.pilot).group(1))
    effect = abs(declared.margin) if declared.margin > 0 and "±" in declared.prefix else primary.MARGIN
    direction = "within" if "±" in declared.prefix else ">"
    assert declared.n_needed == seeds_needed(sd, effect, direction)
    assert declared.underpowered == (declared.n < declared.n_needed)


def test_at_most_two_per_notebook_and_data_source_and_fifteen_on_generated_data():
    per = {}
    for notebook, claims in primary.DECLARED.items():
        for p in claims:
            assert p.source in primary.FAMILIES
            assert (p.source == primary.ADULT) == (notebook.endswith("-adult") or p.prefix.startswith("adult:")), \
                f"{notebook}: {p.prefix!r} is declared on {p.source}"
            key = (base_notebook(notebook), p.source)
            per[key] = per.get(key, 0) + 1
    assert max(per.values()) <= 2
    assert primary.family_size(primary.GENERATED) <= 15
    assert sum(per.values()) == sum(primary.family_size(source) for source in primary.FAMILIES)


def test_each_claim_is_held_in_its_data_sources_family():
    for notebook, claims in primary.DECLARED.items():
        for p in claims:
            text = p.prefix.replace(primary.HELD_OUT, "test") + " (settings)"
            assert primary.family_of(notebook, text) == p.source
    assert primary.family_of("01_fairness_overfits", "an exploratory claim") == primary.GENERATED
    families = primary.declared_families()
    assert sum(len(f) for f in families.values()) == sum(primary.declared_counts().values())


def test_the_prefixes_are_the_primary_table_and_describe_gives_each_its_rule_and_pilot():
    assert primary.PRIMARY == {nb: tuple(p.prefix for p in claims) for nb, claims in primary.DECLARED.items()}
    for notebook, claims in primary.DECLARED.items():
        text = primary.describe(notebook)
        if not claims:
            assert "declares no primary claim" in text
            continue
        assert primary.DECLARED_ON in text and "pilot" in text.lower()
        assert text.count("Operating point:") == len(claims)
    assert {"01_fairness_overfits", "09_what_drives_the_gap"} <= set(primary.DECLARED)  # every notebook has an entry


def test_readme_says_when_the_primaries_were_declared_and_never_before_the_runs():
    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    assert primary.DECLARED_ON in readme
    assert "declared before the runs" not in readme
