"""The README gallery claims only what the notebooks' claims tables show.

A gallery caption is the line before a figure (``![..](figures/<notebook>/...)``) in the README's
Gallery section. A caption that states a finding carries a comment naming the claims it rests on::

    **F3** — ... <!-- claims: 03_model_capacity/ERM: gap at interpolating widths | 03_model_capacity/... -->

Each reference is ``<notebook>/<start of the claim's text>``: every claim of
``figures/<notebook>/claims.csv`` that starts so must exist and be "shown". Until a notebook's
default-profile claims.csv is committed its references are skipped (never a reference to a claim
that is there and "not shown"). A caption without the comment may only say what the figure draws:
it must not use the words a finding needs (comparisons, directions, verdicts: ``FINDING_WORDS``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from fairgap.evidence import SHOWN
from fairgap.paths import project_root

CLAIMS_COMMENT = re.compile(r"<!--\s*claims:(.*?)-->", re.S)
FIGURE = re.compile(r"^!\[[^\]]*\]\(figures/([^/)]+)/[^)]+\)\s*$")
FINDING_WORDS = re.compile(
    r"\b(falls?|drops?|rises?|grows?|opens?|closes?|narrows?|shrinks?|widens?|stays?|remains?|reach(es)?|lags?|"
    r"fails?|holds?|pays?|collapses?|equali[sz]e[sd]?|generali[sz]es?|overfits?|improves?|worsens?|helps?|hurts?|"
    r"better|worse|more|less|fewer|not|no|never|only|above|below|exceeds?|larger|smaller|higher|lower|"
    r"increases?|decreases?|shown|carr(y|ies)|buys?|costs?|levell?ing)\b", re.I)


def gallery_captions(readme: str) -> list[tuple[str, str, str]]:
    """(name, caption, notebook of its figure) for every figure in the Gallery section."""
    match = re.search(r"^## Gallery.*?$(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if not match:
        raise AssertionError("README.md has no '## Gallery' section.")
    lines = [line for line in match.group(1).splitlines() if line.strip()]
    captions = []
    for before, line in zip(lines, lines[1:]):
        figure = FIGURE.match(line.strip())
        if figure:
            name = re.match(r"\*\*([^*]+)\*\*", before.strip())
            captions.append((name.group(1) if name else before[:20], before.strip(), figure.group(1)))
    return captions


def references(caption: str) -> list[tuple[str, str]]:
    """The (notebook, claim prefix) pairs of a caption's claims comment."""
    refs = []
    for comment in CLAIMS_COMMENT.findall(caption):
        for item in comment.split("|"):
            notebook, sep, prefix = item.strip().partition("/")
            if not sep or not notebook or not prefix.strip():
                raise AssertionError(f"Malformed claims reference {item.strip()!r}: write '<notebook>/<start of claim>'.")
            refs.append((notebook, prefix.strip()))
    return refs


def caption_problems(caption: str, figures: Path) -> tuple[list[str], list[str]]:
    """(problems, skipped notebooks) of one caption against the claims tables under ``figures``."""
    refs = references(caption)
    if not refs:
        text = CLAIMS_COMMENT.sub("", caption).split("—", 1)[-1]
        words = sorted({m.group(0).lower() for m in FINDING_WORDS.finditer(text)})
        return ([f"states a finding ({', '.join(words)}) without a <!-- claims: ... --> reference"] if words else []), []
    problems, skipped = [], []
    for notebook, prefix in refs:
        path = figures / notebook / "claims.csv"
        if not path.exists():
            skipped.append(notebook)
            continue
        table = pd.read_csv(path)
        rows = table[table.claim.str.startswith(prefix)]
        if rows.empty:
            problems.append(f"{notebook}: no claim starts with {prefix!r}")
        for _, row in rows[rows.verdict != SHOWN].iterrows():
            problems.append(f"{notebook}: {row.claim!r} is {row.verdict!r}")
    return problems, skipped


README = (project_root() / "README.md").read_text()
CAPTIONS = gallery_captions(README)


def test_the_gallery_has_captions():
    assert len(CAPTIONS) >= 4 and all(notebook for _, _, notebook in CAPTIONS)


@pytest.mark.parametrize("name, caption, notebook", CAPTIONS, ids=[c[0] for c in CAPTIONS])
def test_caption_claims_only_what_is_shown(name, caption, notebook):
    # The committed gallery's tables (figures_dir() points at a temporary folder inside the tests).
    problems, skipped = caption_problems(caption, project_root() / "figures")
    assert not problems, f"README gallery caption {name}: " + "; ".join(problems) + \
        ". Change the caption to what the claims table shows, or say it only describes the figure."
    if skipped:
        pytest.skip(f"{name}: no default-profile claims.csv yet for {', '.join(sorted(set(skipped)))}")


# --- the checker itself, on a made-up README and claims tables ---

def write_claims(folder: Path, rows: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True)
    pd.DataFrame([{"claim": c, "statistic": "s", "estimate": 0.1, "lower": 0.0, "upper": 0.2, "n": 5, "verdict": v}
                  for c, v in rows]).to_csv(folder / "claims.csv", index=False)


def test_checker_passes_shown_claims_and_fails_the_rest(tmp_path):
    write_claims(tmp_path / "02_x", [("A: gap > 0 at λ = 1", "shown"), ("B: gap > 0", "not shown"),
                                     ("leveling down (A): ...", "shown")])
    ok = "**F2** — a finding. <!-- claims: 02_x/A: gap > 0 | 02_x/leveling down (A) -->"
    assert caption_problems(ok, tmp_path) == ([], [])
    problems, _ = caption_problems("**F2** — x. <!-- claims: 02_x/B: gap -->", tmp_path)
    assert problems == ["02_x: 'B: gap > 0' is 'not shown'"]
    problems, _ = caption_problems("**F2** — x. <!-- claims: 02_x/C: gap -->", tmp_path)
    assert problems == ["02_x: no claim starts with 'C: gap'"]
    assert caption_problems("**F9** — x. <!-- claims: 09_missing/A -->", tmp_path) == ([], ["09_missing"])
    with pytest.raises(AssertionError, match="Malformed claims reference"):
        references("<!-- claims: no-slash-here -->")


def test_checker_refuses_a_finding_without_a_reference(tmp_path):
    assert caption_problems("**F6** — chest X-rays: per-group AUC and TPR gap, train against test.", tmp_path) == ([], [])
    problems, _ = caption_problems("**F5** — training photos are equalized, unseen identities are not.", tmp_path)
    assert problems == ["states a finding (equalized, not) without a <!-- claims: ... --> reference"]


def test_gallery_captions_are_found_with_their_notebook():
    text = "# T\n\n## Gallery\n\nintro\n\n**F1** — a. <!-- claims: 01_a/x -->\n![F1](figures/01_a/F1.png)\n\n## Next\n" \
           "**F9** — outside.\n![F9](figures/09/F9.png)\n"
    assert gallery_captions(text) == [("F1", "**F1** — a. <!-- claims: 01_a/x -->", "01_a")]
