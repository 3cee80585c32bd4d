"""Each notebook's "Does it replicate?" prose (fairgap.compare.replication_markdown) and the committed copy of a
replication's claims tables (python -m fairgap.compare RUN --keep-replication)."""

import os

import numpy as np
import pandas as pd
import pytest

from fairgap import compare
from fairgap.evidence import CLAIM_COLUMNS, adjust_tables, fmt, fmt_p, holm

NOTEBOOK = "01_x"


def table(rows) -> pd.DataFrame:
    """A claims table from (claim, kind, estimate, lower, upper, p_value) rows (direction >, null 0, n 10)."""
    frame = pd.DataFrame([{"claim": claim, "kind": kind, "statistic": "s", "direction": ">", "null": 0.0,
                           "estimate": est, "lower": low, "upper": high, "n": 10, "p_value": p,
                           "p_adjusted": np.nan, "verdict": ""} for claim, kind, est, low, high, p in rows],
                         columns=list(CLAIM_COLUMNS))
    return frame


# This run (the committed seeds): A, B, C, D shown after Holm over its six primaries; E only here; G's settings
# (its parenthesis) differ from the replication's, so G is not compared.
HERE = [("A: gap > 0 (λ = 1)", "primary", 0.10, 0.05, 0.15, 0.001),
        ("B: drop > 0", "primary", 0.20, 0.15, 0.25, 0.001),
        ("C: rise > 0", "primary", 0.10, 0.05, 0.15, 0.001),
        ("D: clear > 0", "primary", 0.30, 0.25, 0.35, 0.0001),
        ("E: only in this run > 0", "primary", 0.02, -0.01, 0.05, 0.4),
        ("G: other settings > 0 (widths 0.5, 1)", "primary", 0.14, 0.09, 0.18, 0.001),
        ("X: exploratory > 0", "exploratory", 0.05, 0.02, 0.08, 0.001)]
# The replication: A at the decision line (a), B smaller (b), C reversed (c), D holds; F only there; X flips.
THERE = [("A: gap > 0 (λ = 1)", "primary", 0.08, 0.01, 0.15, 0.02),
         ("B: drop > 0", "primary", 0.05, -0.02, 0.12, 0.3),
         ("C: rise > 0", "primary", -0.03, -0.08, 0.02, 0.6),
         ("D: clear > 0", "primary", 0.31, 0.26, 0.36, 0.0001),
         ("F: only in the replication > 0", "primary", 0.01, -0.02, 0.04, 0.5),
         ("G: other settings > 0 (widths 1)", "primary", 0.24, 0.17, 0.31, 0.0001),
         ("X: exploratory > 0", "exploratory", 0.03, -0.01, 0.07, 0.2)]


def adjusted(rows) -> pd.DataFrame:
    return adjust_tables({NOTEBOOK: table(rows)})[NOTEBOOK]


def write(folder, frame, notebook=NOTEBOOK):
    (folder / notebook).mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / notebook / "claims.csv", index=False)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_ROOT", str(tmp_path))
    monkeypatch.delenv("FAIRGAP_FIGURES", raising=False)
    monkeypatch.delenv("FAIRGAP_SEED_OFFSET", raising=False)
    return tmp_path


def paragraph(text: str, claim: str) -> str:
    [found] = [part for part in text.split("\n\n") if part.startswith(f"**{claim}")]
    return found


def chance_text(reference, replication) -> str:
    rows = compare.compare_tables(reference, replication)
    return f"{np.nansum(rows[rows.kind == 'primary'].chance_flip):.1f}"


def test_a_run_on_the_committed_seeds_discusses_every_flipped_primary_of_the_fresh_replication(root):
    here = adjusted(HERE)
    write(root / "figures", here)
    write(root / "build" / "figures-default-seed-offset-100", table(THERE))   # as a replication's run left it
    text = compare.replication_markdown(here, NOTEBOOK, "default")
    there = adjusted(THERE)   # the replication is judged at its own (collection's) Holm adjustment
    assert "build/figures-default-seed-offset-100" in text and "a fresh run" in text
    assert ("of the 4 primary claims in both runs, 1 keeps its verdict and 3 flipped; chance alone would flip "
            f"about {chance_text(here, there)}") in text
    a = paragraph(text, "A: gap > 0")
    assert "shown in this run, not shown in the replication" in a
    row_a, rep_a = here.iloc[0], there.iloc[0]
    assert f"This run: {fmt(0.10, 0.05, 0.15, 3)} (n = 10, Holm-adjusted p {fmt_p(row_a.p_adjusted)})" in a
    expected = holm([0.02, 0.3, 0.6, 0.0001, 0.5, 0.0001])[0]
    assert rep_a.p_adjusted == pytest.approx(expected)
    assert f"the replication: {fmt(0.08, 0.01, 0.15, 3)} (n = 10, Holm-adjusted p {fmt_p(expected)})" in a
    assert "(a)" in a and "suggestive, not established" in a and "direction and size replicate" in a
    b = paragraph(text, "B: drop > 0")
    assert "(b)" in b and "the replication's estimate lies outside this run's 95% interval" in b
    assert "the size did not" in b and "suggestive" not in b
    c = paragraph(text, "C: rise > 0")
    assert "(c)" in c and "opposite sides of the null (0)" in c and "direction did not replicate" in c
    # D holds: one list line, no paragraph; E and F are in one run only; X is exploratory, not discussed.
    assert "**D" not in text and "- D: clear > 0: shown in both; this run 0.300 [0.250, 0.350]" in text
    assert "E: only in this run > 0 (this run only)" in text
    assert "F: only in the replication > 0 (the replication only)" in text
    # G is one claim at other settings, not compared: both full texts side by side, no flip or hold of its own.
    assert ("Run with different settings, so not compared (the same claim up to its parenthesis): G: other settings "
            "> 0 (widths 0.5, 1) in this run and G: other settings > 0 (widths 1) in the replication.") in text
    assert "**G" not in text and "- G" not in text and "G: other settings > 0 (widths 1) (" not in text
    assert "**X" not in text and "Exploratory claims: 1 in both, 1 flipped" in text


def test_without_a_fresh_replication_the_committed_copy_is_read_and_the_newer_of_the_two_wins(root):
    here = adjusted(HERE)
    write(root / "figures", here)
    write(root / "replications" / "default-seed-offset-100", table(THERE))
    text = compare.replication_markdown(here, NOTEBOOK, "default")
    assert "replications/default-seed-offset-100" in text and "the committed copy" in text
    assert "1 keeps its verdict and 3 flipped" in text
    fresh = root / "build" / "figures-default-seed-offset-100"
    write(fresh, table(HERE))   # a fresh replication that agrees, newer than the committed copy
    committed_at = (root / "replications" / "default-seed-offset-100" / NOTEBOOK / "claims.csv").stat().st_mtime
    os.utime(fresh / NOTEBOOK / "claims.csv", (committed_at + 60, committed_at + 60))
    text = compare.replication_markdown(here, NOTEBOOK, "default")
    assert "a fresh run" in text and "6 keep their verdict and 0 flipped" in text and "**" not in text
    # One left in build/ by an earlier round, older than the committed copy, does not outvote it.
    os.utime(fresh / NOTEBOOK / "claims.csv", (committed_at - 60, committed_at - 60))
    text = compare.replication_markdown(here, NOTEBOOK, "default")
    assert "the committed copy" in text and "1 keeps its verdict and 3 flipped" in text


def test_a_replication_is_held_against_the_run_on_the_committed_seeds(root, monkeypatch):
    reference = adjusted(HERE)
    write(root / "figures", reference)
    monkeypatch.setenv("FAIRGAP_SEED_OFFSET", "100")
    mine = adjusted(THERE)
    text = compare.replication_markdown(mine, NOTEBOOK, "default")
    assert "Held against the run on the committed seeds (`figures`)" in text
    # The chance of a flip is always the committed run's: the same number as seen from the other side.
    assert f"3 flipped; chance alone would flip about {chance_text(reference, mine)}" in text
    a = paragraph(text, "A: gap > 0")
    assert "not shown in this replication, shown in the committed run" in a and "(a)" in a
    b = paragraph(text, "B: drop > 0")
    assert ("the committed run's estimate lies outside this replication's 95% interval and this replication's "
            "estimate lies outside the committed run's") in b and "(b)" in b
    assert "(c)" in paragraph(text, "C: rise > 0")


def test_no_counterpart_on_record_is_one_sentence_naming_the_command(root, monkeypatch):
    here = adjusted(HERE)
    text = compare.replication_markdown(here, NOTEBOOK, "default")
    assert text.count(". ") == 0 and text.endswith("makes one.")
    assert "No replication on unseen seeds is on record for 01_x" in text
    assert "`./run_all.sh --seed-offset 100 --compare`" in text
    # Another notebook's replication is not this one's.
    write(root / "build" / "figures-default-seed-offset-100", table(THERE), "02_y")
    assert compare.replication_markdown(here, NOTEBOOK, "default") == text
    assert "--profile smoke --seed-offset 100`" in compare.replication_markdown(here, NOTEBOOK, "smoke")
    monkeypatch.setenv("FAIRGAP_SEED_OFFSET", "100")
    assert "`./run_all.sh --profile default --only 01` makes one" in compare.replication_markdown(here, NOTEBOOK)


def test_a_flip_with_only_this_runs_estimate_outside_is_a_size_that_did_not_replicate_and_nan_is_said():
    row = {"estimate_here": 0.30, "lower_here": 0.0, "upper_here": 0.6, "null_here": 0.0,
           "estimate_there": 0.10, "lower_there": 0.05, "upper_there": 0.15}
    text = compare.flip_reading(row)
    assert "(b)" in text and "this run's estimate lies outside the replication's" in text
    assert "the replication's estimate lies outside" not in text
    assert "no estimate" in compare.flip_reading({**row, "estimate_there": np.nan})
    # The side is taken against the claim's null, not 0.
    assert "(c)" in compare.flip_reading({**row, "null_here": 0.2, "lower_there": 0.05, "upper_there": 0.35})


def test_keep_replication_copies_every_claims_table_of_a_replication(root, capsys):
    run = root / "build" / "figures-default-seed-offset-100"
    write(run, table(THERE))
    write(run, table(HERE), "02_y")
    write(root / "figures", adjusted(HERE))
    assert compare.main([str(run), "--reference", str(root / "figures"), "--keep-replication"]) == 0
    kept = root / "replications" / "default-seed-offset-100"
    for notebook in (NOTEBOOK, "02_y"):
        assert (kept / notebook / "claims.csv").read_bytes() == (run / notebook / "claims.csv").read_bytes()
    assert "Kept the claims tables" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["figures-again", "figures-default-seed-offset-0", "figures-fancy-seed-offset-100",
                                  "figures-default"])
def test_keep_replication_refuses_a_folder_that_is_not_a_replications(root, capsys, name):
    write(root / "build" / name, table(THERE))
    assert compare.main([str(root / "build" / name), "--reference", str(root / "build" / name),
                         "--keep-replication"]) == 2
    err = capsys.readouterr().err
    assert "is not a replication's figures folder" in err and "figures-<profile>-seed-offset-<k>" in err
    assert not (root / "replications").exists()


def test_every_notebook_asks_whether_its_primary_claims_replicate_right_after_its_claims_table():
    import re

    import nbformat

    from fairgap.paths import project_root

    paths = sorted((project_root() / "notebooks").glob("[0-9]*.ipynb"))
    assert len(paths) >= 9
    for path in paths:
        cells = nbformat.read(path, as_version=4).cells
        [i] = [i for i, c in enumerate(cells) if c.cell_type == "code" and "claims_markdown(claims)" in c.source]
        heading, code = cells[i + 1], cells[i + 2]
        assert heading.cell_type == "markdown" and heading.source.startswith("## Does it replicate?"), path.name
        # The same notebook name the claims were saved under, so the counterpart read is this notebook's.
        [saved] = [re.findall(r",\s*([\w.\"]+),\s*profile\)", c.source)[-1]
                   for c in cells if "collection.save(" in c.source]
        assert code.cell_type == "code" and f"replication_markdown(claims, {saved}, profile)" in code.source, path.name
        assert "evidence.markdown(" in code.source, path.name
