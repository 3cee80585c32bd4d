"""Reproduction and replication: compare a run's claims tables with reference ones (the committed ``figures/``).

    python -m fairgap.compare RUN_FIGURES [--reference figures] [--out compare.csv] [--save]
    ./run_all.sh --compare                      # reproduction: rerun, then compare with figures/ as it was
    ./run_all.sh --seed-offset 100 --compare    # replication on seeds 100, 101, ... (build/figures-default-seed-offset-100)

For every claim present in both (matched by its text): whether its verdict flipped, whether the run's
estimate falls outside the reference's 95% interval, and how many of each chance alone would give if
the run were an independent replication (new seeds) of the reference:

* **outside the interval**: a new mean from n fresh seeds lands outside the reference's t-interval with
  probability P(|T| > t·√(1/2)·...) — with equal n and spread, the difference of two means has twice the
  variance of one, so about 2·(1 − F_{n−1}(t_{0.975, n−1} / √2)): 17% at large n, 23% at n = 3;
* **flipped verdicts**: taking the reference's estimate and spread as the truth, the chance that a fresh
  run's one-sided test at 2.5% comes out the other way (from the noncentral t). Primary claims are judged
  by their Holm-adjusted verdicts, which this approximation ignores (it uses the unadjusted level).

A reproduction (the same seeds, the same code) should show no flip and no estimate outside: every run
is a pure function of its config. A replication (seeds the reference never used) should show about as
many as chance gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ("notebook", "claim", "kind", "n_reference", "n_run", "estimate_reference", "lower_reference",
           "upper_reference", "estimate_run", "verdict_reference", "verdict_run", "flipped", "outside",
           "chance_outside", "chance_flip")


def _chances(row) -> tuple[float, float]:
    """(P(outside), P(flip)) for a replication of ``row``'s reference claim with the same n."""
    from scipy.stats import nct, t

    n = int(row["n_reference"])
    if n < 2 or not np.isfinite(row["lower_reference"]) or row["upper_reference"] <= row["lower_reference"]:
        return float("nan"), float("nan")
    crit = t.ppf(0.975, n - 1)
    se = (row["upper_reference"] - row["lower_reference"]) / (2 * crit)
    outside = 2 * (1 - t.cdf(crit / np.sqrt(2), n - 1))
    sign = 1.0 if row["direction"] == ">" else -1.0
    shown = float(nct.sf(crit, n - 1, sign * (row["estimate_reference"] - row["null"]) / se))
    return float(outside), (1 - shown) if row["verdict_reference"] == "shown" else shown


def claim_key(texts: pd.Series, ambiguous=frozenset()) -> pd.Series:
    """What matches a claim across runs: its text without a trailing parenthesis, which records what the
    run chose (the weight picked on validation data, the widths that interpolated, the seeds excluded) and
    may differ on new seeds while the claim is the same. A shortened form that is not unique (in ``texts``,
    or listed in ``ambiguous``) keeps the full text."""
    short = _without_parenthesis(texts)
    return short.where(~(short.duplicated(keep=False) | short.isin(ambiguous)), texts)


def _without_parenthesis(texts: pd.Series) -> pd.Series:
    return texts.str.replace(r"\s*\([^()]*\)\s*$", "", regex=True)


def compare_tables(reference: pd.DataFrame, run: pd.DataFrame, notebook: str = "") -> pd.DataFrame:
    """One row per claim in both tables (matched by ``claim_key``): the reference's and the run's estimate,
    interval and verdict, ``flipped``, ``outside`` (the run's estimate outside the reference's interval) and
    the chances of each under replication."""
    # A shortened form ambiguous in either table keeps its full text in both, so the keys agree.
    shorts = [_without_parenthesis(table.claim) for table in (reference, run)]
    ambiguous = set().union(*(short[short.duplicated()] for short in shorts))
    both = reference.assign(key=claim_key(reference.claim, ambiguous)).merge(
        run.assign(key=claim_key(run.claim, ambiguous)), on="key", suffixes=("_reference", "_run"))
    rows = pd.DataFrame({
        "notebook": notebook, "claim": both.claim_reference, "kind": both.kind_reference,
        "n_reference": both.n_reference, "n_run": both.n_run,
        "estimate_reference": both.estimate_reference, "lower_reference": both.lower_reference,
        "upper_reference": both.upper_reference, "estimate_run": both.estimate_run,
        "verdict_reference": both.verdict_reference, "verdict_run": both.verdict_run,
        "direction": both.direction_reference, "null": both.null_reference})
    rows["flipped"] = rows.verdict_reference != rows.verdict_run
    rows["outside"] = (rows.estimate_run < rows.lower_reference) | (rows.estimate_run > rows.upper_reference)
    chances = [_chances(row) for _, row in rows.iterrows()]
    rows["chance_outside"] = [c[0] for c in chances]
    rows["chance_flip"] = [c[1] for c in chances]
    return rows[list(COLUMNS)]


def read_claims(folder: Path) -> dict[str, pd.DataFrame]:
    """``<folder>/<notebook>/claims.csv`` by notebook."""
    return {path.parent.name: pd.read_csv(path) for path in sorted(Path(folder).glob("*/claims.csv"))}


def adjusted_with_reference(run: dict[str, pd.DataFrame], reference: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The run's tables with their primary claims Holm-adjusted over the whole collection: the run's own
    p-values plus the reference's for the notebooks the run did not execute. A run of a few notebooks
    counts the others at p = 1 when it adjusts itself, so its primary verdicts would otherwise be judged
    at a stricter level than the reference's, and flip with identical estimates."""
    from .evidence import adjust_tables

    collection = {**{nb: t for nb, t in reference.items() if nb not in run}, **run}
    adjusted = adjust_tables({nb: t for nb, t in collection.items() if "kind" in t})
    return {nb: adjusted.get(nb, table) for nb, table in run.items()}


def compare_folders(reference: Path, run: Path) -> pd.DataFrame:
    """``compare_tables`` for every notebook with a claims table in both folders; the run's primary claims
    are judged at the collection's Holm adjustment (``adjusted_with_reference``)."""
    ref, new = read_claims(reference), read_claims(run)
    if not new:
        raise FileNotFoundError(f"No claims tables under {run} (expected {run}/<notebook>/claims.csv); give the "
                                "figures folder of the run to compare, e.g. build/figures-replication.")
    new = adjusted_with_reference(new, ref)
    frames = [compare_tables(ref[nb], new[nb], nb) for nb in new if nb in ref]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))


def summary(rows: pd.DataFrame) -> str:
    """The comparison in words: per kind, claims compared, flips and estimates outside, against chance; and
    every flipped claim."""
    lines = []
    for kind in ("primary", "exploratory"):
        mine = rows[rows.kind == kind]
        if mine.empty:
            continue
        lines.append(f"{kind}: {len(mine)} claims compared; {int(mine.flipped.sum())} verdicts flipped "
                     f"(a replication would flip about {np.nansum(mine.chance_flip):.1f} by chance); "
                     f"{int(mine.outside.sum())} estimates outside the reference's 95% interval "
                     f"(about {np.nansum(mine.chance_outside):.1f} by chance)")
    for _, row in rows[rows.flipped].iterrows():
        lines.append(f"  flipped ({row.kind}) {row.notebook}: {row.claim[:100]} — {row.verdict_reference} -> "
                     f"{row.verdict_run} (estimate {row.estimate_reference:.3f} -> {row.estimate_run:.3f})")
    return "\n".join(lines) if lines else "no claim in common"


COMPARISONS = "comparisons"   # build/comparisons/<run's figures folder>/{summary.txt, comparison.csv}


def comparisons_dir():
    from .paths import project_root

    return project_root() / "build" / COMPARISONS


def save_comparison(rows: pd.DataFrame, run: Path, reference_name: str = "the committed figures/") -> Path:
    """Write a comparison where the report finds it: ``build/comparisons/<run folder name>/``."""
    folder = comparisons_dir() / Path(run).resolve().name
    folder.mkdir(parents=True, exist_ok=True)
    rows.to_csv(folder / "comparison.csv", index=False)
    (folder / "summary.txt").write_text(f"{Path(run).resolve().name} against {reference_name}:\n{summary(rows)}\n",
                                        encoding="utf-8")
    return folder


def read_comparisons() -> list[tuple[str, str, Path]]:
    """(name, summary text, CSV path) of every saved comparison, by name."""
    return [(folder.name, (folder / "summary.txt").read_text(encoding="utf-8"), folder / "comparison.csv")
            for folder in sorted(comparisons_dir().glob("*")) if (folder / "summary.txt").is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fairgap.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="the figures folder of the run to compare")
    parser.add_argument("--reference", type=Path, default=None, help="default: the committed figures/")
    parser.add_argument("--out", type=Path, default=None, help="also write the per-claim comparison as CSV")
    parser.add_argument("--save", action="store_true",
                        help="also keep it in build/comparisons/ for the report (run_all.sh --compare does this)")
    args = parser.parse_args(argv)
    from .paths import project_root

    reference = args.reference or project_root() / "figures"
    try:
        rows = compare_folders(reference, args.run)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.out:
        rows.to_csv(args.out, index=False)
    if args.save:
        save_comparison(rows, args.run, str(reference))
    print(f"{args.run} against {reference}:\n{summary(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
