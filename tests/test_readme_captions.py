"""The README claims only what the notebooks' claims tables show.

Checked: every sentence of the README's opening (the text before its first section), of its "What the
collection shows" section and every Gallery caption (the line before a figure). A sentence that states
a finding carries a comment naming the claims it rests on, before its full stop::

    ... the gap opens at the interpolating widths <!-- claims: 03_model_capacity/EO penalty λ=0.3: gap at -->.

Each reference is ``<notebook>/<start of the claim's text>``, optionally followed by ``= not shown`` when
the sentence reports that a claim was *not* shown: every claim of ``figures/<notebook>/claims.csv``
that starts so must exist and have the stated verdict ("shown" unless said otherwise). A sentence without
the comment may only say what a figure draws or what the project does: it must not use the words a
finding needs (comparisons, directions, verdicts: ``FINDING_WORDS``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from fairgap.evidence import NOT_SHOWN, SHOWN
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


def references(caption: str) -> list[tuple[str, str, str]]:
    """The (notebook, claim prefix, stated verdict) triples of a sentence's claims comments."""
    refs = []
    for comment in CLAIMS_COMMENT.findall(caption):
        for item in comment.split("|"):
            # " = not shown" needs the spaces: claim texts hold "λ=0.3" and "w=1"
            reference, _, stated = item.rpartition(" = ") if " = " in item else (item, "", "")
            notebook, sep, prefix = reference.strip().partition("/")
            stated = stated.strip() or SHOWN
            if not sep or not notebook or not prefix.strip() or stated not in (SHOWN, NOT_SHOWN):
                raise AssertionError(f"Malformed claims reference {item.strip()!r}: write '<notebook>/<start of claim>' "
                                     "or '<notebook>/<start of claim> = not shown'.")
            refs.append((notebook, prefix.strip(), stated))
    return refs


def caption_problems(caption: str, figures: Path) -> tuple[list[str], list[str]]:
    """(problems, skipped notebooks) of one sentence or caption against the claims tables under ``figures``."""
    refs = references(caption)
    if not refs:
        text = CLAIMS_COMMENT.sub("", caption).split("—", 1)[-1]
        words = sorted({m.group(0).lower() for m in FINDING_WORDS.finditer(text)})
        return ([f"states a finding ({', '.join(words)}) without a <!-- claims: ... --> reference"] if words else []), []
    problems, skipped = [], []
    for notebook, prefix, stated in refs:
        path = figures / notebook / "claims.csv"
        if not path.exists():
            skipped.append(notebook)
            continue
        table = pd.read_csv(path)
        rows = table[table.claim.str.startswith(prefix)]
        if rows.empty:
            problems.append(f"{notebook}: no claim starts with {prefix!r}")
        for _, row in rows[rows.verdict != stated].iterrows():
            problems.append(f"{notebook}: {row.claim!r} is {row.verdict!r}, the README says {stated!r}")
    return problems, skipped


PLACEHOLDER = "\x00{}\x00"


def finding_sentences(readme: str) -> list[str]:
    """Every sentence of the README's opening (before its first section) and of its "What the collection
    shows" section, with its claims comments; code blocks, tables, headings and images are skipped."""
    opening = readme.split("\n## ", 1)[0]
    shows = re.search(r"^## What the collection shows.*?$(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if not shows:
        raise AssertionError("README.md has no '## What the collection shows' section.")
    text = re.sub(r"```.*?```", "", opening + "\n\n" + shows.group(1), flags=re.S)
    comments = [m.group(0) for m in CLAIMS_COMMENT.finditer(text)]   # they may hold full stops: set them aside
    protected = CLAIMS_COMMENT.sub(lambda m, it=iter(range(len(comments))): PLACEHOLDER.format(next(it)), text)
    sentences = []
    for paragraph in re.split(r"\n\s*\n", protected):
        lines = [line for line in paragraph.splitlines() if line.strip() and not line.lstrip().startswith(("#", "|", "!["))]
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z*(\x00])", " ".join(line.strip() for line in lines)):
            if sentence.startswith("\x00") and sentences:   # a comment after the full stop belongs to the sentence before
                sentences[-1] += " " + sentence
            elif sentence.strip():
                sentences.append(sentence)
    restore = lambda s: re.sub("\x00(\\d+)\x00", lambda m: comments[int(m.group(1))], s)  # noqa: E731
    return [restore(s) for s in sentences]


README = (project_root() / "README.md").read_text()
CAPTIONS = gallery_captions(README)
SENTENCES = finding_sentences(README)


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


@pytest.mark.parametrize("sentence", SENTENCES, ids=[s[:40] for s in SENTENCES])
def test_readme_sentence_claims_only_what_its_claims_show(sentence):
    problems, skipped = caption_problems(sentence, project_root() / "figures")
    assert not problems, f"README sentence {sentence[:80]!r}...: " + "; ".join(problems) + \
        ". Change the sentence to what the claims table shows, or name the claims it rests on."
    assert not skipped, f"no committed claims.csv for {', '.join(sorted(set(skipped)))}"


def test_the_readme_states_findings_with_their_claims():
    assert sum(bool(references(s)) for s in SENTENCES) >= 5


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
    assert problems == ["02_x: 'B: gap > 0' is 'not shown', the README says 'shown'"]
    assert caption_problems("B is not shown <!-- claims: 02_x/B: gap = not shown -->", tmp_path) == ([], [])
    assert references("<!-- claims: 02_x/A: gap > 0 at λ=1 = not shown | 02_x/w=1: x -->") == [
        ("02_x", "A: gap > 0 at λ=1", NOT_SHOWN), ("02_x", "w=1: x", SHOWN)]
    problems, _ = caption_problems("A is not shown <!-- claims: 02_x/A: gap = not shown -->", tmp_path)
    assert problems == ["02_x: 'A: gap > 0 at λ = 1' is 'shown', the README says 'not shown'"]
    with pytest.raises(AssertionError, match="Malformed"):
        references("<!-- claims: 02_x/A = maybe -->")
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


def test_finding_sentences_keep_their_comments_and_skip_code_and_tables():
    text = ("# T\n\nNetworks lose the constraint on test data <!-- claims: 01_a/x. y -->. Classical models keep it.\n"
            "```bash\nrun more\n```\n\n## What the collection shows\n\n| a | b |\n|---|---|\n"
            "The gap grows. <!-- claims: 03_a/z -->\n\n## Next\nIgnored more.\n")
    assert finding_sentences(text) == ["Networks lose the constraint on test data <!-- claims: 01_a/x. y -->.",
                                       "Classical models keep it.", "The gap grows. <!-- claims: 03_a/z -->"]
    problems, _ = caption_problems("Classical models keep it.", Path("/nonexistent"))
    assert problems == []   # "keep" is not a finding word; "more" or "not" would be
    problems, _ = caption_problems("Classical models do not.", Path("/nonexistent"))
    assert problems and "without a <!-- claims" in problems[0]
