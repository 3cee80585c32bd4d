"""Reproduction and replication: compare a run's claims tables with reference ones (the committed ``figures/``).

    python -m fairgap.compare RUN_FIGURES [--reference figures] [--out compare.csv] [--save] [--keep-replication]
    ./run_all.sh --compare                      # reproduction: rerun, then compare with figures/ as it was
    ./run_all.sh --seed-offset 100 --compare    # replication on seeds 100, 101, ... (build/figures-default-seed-offset-100)

For every claim present in both (matched by its full text, the settings in its trailing parenthesis
included; a claim only one side makes is listed, not compared, and one whose text differs only in that
parenthesis is listed beside its counterpart as settings that differ): whether its verdict flipped,
whether the run's estimate falls outside the reference's 95% interval, and how many of each chance alone
would give if the run were an independent replication (new seeds) of the reference:

* **outside the interval**: a new mean from n fresh seeds lands outside the reference's t-interval with
  probability P(|T| > t·√(1/2)·...) — with equal n and spread, the difference of two means has twice the
  variance of one, so about 2·(1 − F_{n−1}(t_{0.975, n−1} / √2)): 17% at large n, 23% at n = 3;
* **flipped verdicts**: taking the reference's estimate and spread as the truth, the chance that a fresh
  run's one-sided test at 2.5% comes out the other way (from the noncentral t). Primary claims are judged
  by their Holm-adjusted verdicts, which this approximation ignores (it uses the unadjusted level).

A reproduction (the same seeds, the same code) should show no flip and no estimate outside: every run
is a pure function of its config. A replication (seeds the reference never used) should show about as
many as chance gives.

Every notebook discusses its own primary claims' replication (``replication_markdown``): a run on the
committed seeds is held against the replication at seed offset 100, the fresh one in
``build/figures-<profile>-seed-offset-100/`` or else the committed copy in
``replications/<profile>-seed-offset-100/``; a replication is held against the run on the committed seeds.
``--keep-replication`` makes that copy: it copies every ``claims.csv`` of a replication's figures folder
(``figures-<profile>-seed-offset-<k>``) to ``replications/<profile>-seed-offset-<k>/<notebook>/``, to commit.
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
    if row["direction"] == "within":  # both ends inside ±null: the replication's mean within null − crit·se of 0
        margin, estimate = abs(row["null"]), row["estimate_reference"]
        shown = max(0.0, float(t.cdf((margin - crit * se - estimate) / se, n - 1)
                               - t.cdf((-margin + crit * se - estimate) / se, n - 1)))
        return float(outside), (1 - shown) if row["verdict_reference"] == "shown" else shown
    sign = 1.0 if row["direction"] == ">" else -1.0
    shown = float(nct.sf(crit, n - 1, sign * (row["estimate_reference"] - row["null"]) / se))
    return float(outside), (1 - shown) if row["verdict_reference"] == "shown" else shown


def _without_parenthesis(texts: pd.Series) -> pd.Series:
    """A claim's text without its trailing parenthesis, which records the settings its run chose or ran
    (the weight picked on validation data, the widths that interpolated, the seeds excluded). Never used to
    match claims, which differ when their settings do; only to say of two unmatched claims that their
    settings are all that differs."""
    return texts.str.replace(r"\s*\([^()]*\)\s*$", "", regex=True)


def _settings_differ(texts: pd.Series, others: pd.Series) -> pd.Series:
    """Whether each of ``texts`` agrees with one of ``others`` up to its trailing parenthesis."""
    return _without_parenthesis(texts).isin(set(_without_parenthesis(others)))


def compare_tables(reference: pd.DataFrame, run: pd.DataFrame, notebook: str = "") -> pd.DataFrame:
    """One row per claim in both tables, matched by its full text (settings in parentheses included: the
    same claim over other widths or another weight is another claim, and is not compared): the reference's
    and the run's estimate, interval and verdict, ``flipped``, ``outside`` (the run's estimate outside the
    reference's interval) and the chances of each under replication."""
    both = reference.merge(run, on="claim", suffixes=("_reference", "_run"))
    rows = pd.DataFrame({
        "notebook": notebook, "claim": both.claim, "kind": both.kind_reference,
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
    from .claims.primary import family_of
    from .evidence import adjust_tables

    collection = {**{nb: t for nb, t in reference.items() if nb not in run}, **run}
    adjusted = adjust_tables({nb: t for nb, t in collection.items() if "kind" in t}, family=family_of)
    return {nb: adjusted.get(nb, table) for nb, table in run.items()}


def compare_folders(reference: Path, run: Path) -> pd.DataFrame:
    """``compare_tables`` for every notebook with a claims table in both folders; the run's primary claims
    are judged at the collection's Holm adjustment (``adjusted_with_reference``). The claims left out,
    ``unmatched_claims``, ride along in ``attrs["unmatched"]`` (as a dict of lists, which pandas can compare
    when it concatenates or merges), where ``summary`` finds them."""
    ref, new = read_claims(reference), read_claims(run)
    if not new:
        raise FileNotFoundError(f"No claims tables under {run} (expected {run}/<notebook>/claims.csv); give the "
                                "figures folder of the run to compare, e.g. build/figures-replication.")
    new = adjusted_with_reference(new, ref)
    frames = [compare_tables(ref[nb], new[nb], nb) for nb in new if nb in ref]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    rows.attrs["unmatched"] = _unmatched(ref, new).to_dict("list")
    return rows


def unmatched_claims(reference: Path, run: Path) -> pd.DataFrame:
    """The claims of notebooks in both folders whose full text only one side has, so not compared: settings
    that differ (``settings_differ``: the other side has a claim with the same text up to its trailing
    parenthesis, e.g. a gap over widths 0.5 and 1 against one over width 1), a setting one run left out, or a
    claim added or removed since. Columns notebook, claim, kind, ``only_in`` ("reference" or "run") and
    ``settings_differ``. Notebooks the run did not execute are not listed."""
    return _unmatched(read_claims(reference), read_claims(run))


def _unmatched(ref: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frames = []
    for notebook in [nb for nb in new if nb in ref]:
        tables = {"reference": ref[notebook], "run": new[notebook]}
        alone = {side: table[~table.claim.isin(tables[other].claim)]
                 for (side, table), other in zip(tables.items(), ("run", "reference"))}
        for side, other in (("reference", "run"), ("run", "reference")):
            frames.append(pd.DataFrame({"notebook": notebook, "claim": alone[side].claim, "kind": alone[side].kind,
                                        "only_in": side,
                                        "settings_differ": _settings_differ(alone[side].claim, alone[other].claim)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["notebook", "claim", "kind", "only_in", "settings_differ"])


def summary(rows: pd.DataFrame, unmatched: pd.DataFrame | None = None) -> str:
    """The comparison in words: per kind, claims compared, flips and estimates outside, against chance;
    every flipped claim; and every claim only one side makes (``unmatched``, else ``rows.attrs["unmatched"]``
    as ``compare_folders`` leaves it), which is not compared, by its full text: claims that differ only in
    their settings side by side, each other one on its own line."""
    if unmatched is None and "unmatched" in rows.attrs:
        unmatched = pd.DataFrame(rows.attrs["unmatched"])
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
    if unmatched is not None and len(unmatched):
        counts = unmatched.only_in.value_counts()
        lines.append(f"not compared: {counts.get('reference', 0)} claims only in the reference, "
                     f"{counts.get('run', 0)} only in the run (settings that differ, a setting one of them did "
                     "not run, or a claim added or removed since)")
        differ = unmatched[unmatched.settings_differ.astype(bool)]
        for (notebook, _), group in differ.groupby([differ.notebook, _without_parenthesis(differ.claim)], sort=False):
            texts = {side: " / ".join(group.claim[group.only_in == side]) for side in ("reference", "run")}
            kinds = "/".join(map(str, group.kind.unique()))
            lines.append(f"  settings differ ({kinds}) {notebook}: {texts['reference']} (reference) vs "
                         f"{texts['run']} (run)")
        for _, row in unmatched[~unmatched.settings_differ.astype(bool)].iterrows():
            lines.append(f"  only in the {row.only_in} ({row.kind}) {row.notebook}: {row.claim}")
    return "\n".join(lines) if lines else "no claim in common"


# The seed offset of the replication a run on the committed seeds is held against in its notebooks.
REPLICATION_OFFSET = 100
REPLICATION_COMMAND = "./run_all.sh --seed-offset 100 --compare"


def keep_replication(run: Path) -> Path:
    """Copy every ``<run>/<notebook>/claims.csv`` of a replication's figures folder (named
    ``figures-<profile>-seed-offset-<k>``) to ``replications/<profile>-seed-offset-<k>/<notebook>/claims.csv``,
    the committed copy the notebooks read when ``build/`` holds no replication; returns that folder."""
    import shutil

    from .paths import PROFILE_NAMES, kept_replication_dir, replication_of

    named = replication_of(run)
    if named is None:
        raise ValueError(f"{run} is not a replication's figures folder: --keep-replication needs a folder named "
                         f"figures-<profile>-seed-offset-<k> (profile one of {', '.join(PROFILE_NAMES)}; k 1 or "
                         "more), as ./run_all.sh --seed-offset k writes it, e.g. "
                         "build/figures-default-seed-offset-100.")
    tables = sorted(Path(run).glob("*/claims.csv"))
    if not tables:
        raise FileNotFoundError(f"No claims tables under {run} (expected {run}/<notebook>/claims.csv): run the "
                                f"replication first ({REPLICATION_COMMAND}).")
    target = kept_replication_dir(*named)
    for table in tables:
        (target / table.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(table, target / table.parent.name / "claims.csv")
    return target


def _shown_path(path: Path) -> str:
    """``path`` relative to the checkout where it lies inside it (no machine's paths in a notebook)."""
    from .paths import project_root

    try:
        return str(Path(path).resolve().relative_to(project_root().resolve()))
    except ValueError:
        return Path(path).name


def _counterpart(notebook: str, profile: str) -> tuple[pd.DataFrame, str] | None:
    """The claims table this run's ``notebook`` is held against, and what it is in words: for a replication
    (seed offset > 0) the run on the committed seeds; otherwise the replication at ``REPLICATION_OFFSET``, a
    fresh one in ``build/`` or the committed copy (``keep_replication``), whichever is newer, judged at the collection's Holm
    adjustment like ``compare_folders`` does. None when there is none on record."""
    from .paths import figures_dir, kept_replication_dir, run_figures_dir, seed_offset

    if seed_offset():
        folder = run_figures_dir(profile, 0)
        path = folder / notebook / "claims.csv"
        if not path.is_file():
            return None
        return pd.read_csv(path), f"the run on the committed seeds (`{_shown_path(folder)}`)"
    # The newer of the two: a replication left in build/ by an earlier round must not outvote a newer copy.
    found = [(folder / notebook / "claims.csv", folder, what)
             for folder, what in ((run_figures_dir(profile, REPLICATION_OFFSET), "a fresh run"),
                                  (kept_replication_dir(profile, REPLICATION_OFFSET), "the committed copy"))
             if (folder / notebook / "claims.csv").is_file()]
    if not found:
        return None
    _, folder, what = max(found, key=lambda candidate: candidate[0].stat().st_mtime)
    table = adjusted_with_reference(read_claims(folder), read_claims(figures_dir(profile)))[notebook]
    return table, f"the replication on seeds shifted by {REPLICATION_OFFSET} (`{_shown_path(folder)}`, {what})"


def _no_counterpart(notebook: str, profile: str, offset: int) -> str:
    if offset:
        return (f"No run on the committed seeds is on record for {notebook} ({profile} profile) to hold this "
                f"replication against: `./run_all.sh --profile {profile} --only {notebook[:2]}` makes one.")
    command = REPLICATION_COMMAND if profile == "default" else \
        f"./run_all.sh --profile {profile} --seed-offset {REPLICATION_OFFSET}"
    return (f"No replication on unseen seeds is on record for {notebook} ({profile} profile): `{command}` "
            "makes one.")


def _described(row, side: str) -> str:
    from .evidence import fmt, fmt_p

    return (f"{fmt(row[f'estimate_{side}'], row[f'lower_{side}'], row[f'upper_{side}'], digits=3)} "
            f"(n = {int(row[f'n_{side}'])}, Holm-adjusted p {fmt_p(row[f'p_adjusted_{side}'])})")


def flip_reading(row, here: str = "this run", there: str = "the replication") -> str:
    """Why a primary claim's verdict flipped, by rule, from a row of both runs' numbers (columns
    ``<column>_here`` and ``<column>_there``; the null is the claim's): (a) both estimates on the same side
    of the null and each inside the other's 95% interval: direction and size replicate, the verdict sits at
    the decision line; (b) the same side, an estimate outside the other's interval: the size did not
    replicate; (c) opposite sides: the direction did not replicate."""
    from .evidence import ALPHA

    estimates = (row["estimate_here"], row["estimate_there"])
    if not all(np.isfinite(estimates)):
        return "One of the runs has no estimate for it, so neither its direction nor its size can be compared."
    null = row["null_here"]
    if np.sign(estimates[0] - null) != np.sign(estimates[1] - null):
        return f"(c) The estimates lie on opposite sides of the null ({null:g}): the direction did not replicate."
    there_outside = not row["lower_here"] <= estimates[1] <= row["upper_here"]
    here_outside = not row["lower_there"] <= estimates[0] <= row["upper_there"]
    if there_outside or here_outside:
        which = " and ".join(
            [f"{there}'s estimate lies outside {here}'s 95% interval"] * there_outside
            + [f"{here}'s estimate lies outside {there}'s"] * here_outside)
        return (f"(b) Both estimates lie on the same side of the null ({null:g}), but {which}: the direction "
                "replicates, the size did not.")
    return (f"(a) Both estimates lie on the same side of the null ({null:g}) and each inside the other's 95% "
            "interval: the effect's direction and size replicate, and the verdict sits at the decision line "
            f"(Holm-adjusted p = {ALPHA:g}). Treat this claim as suggestive, not established.")


def replication_markdown(claims: pd.DataFrame, notebook: str, profile: str = "default") -> str:
    """Markdown for the end of ``notebook``: do its primary claims (``claims``, this run's adjusted table)
    replicate? Held against ``_counterpart``'s table: how many keep their verdict, how many flipped and how
    many flips chance alone would give (``compare_tables``); every flipped primary claim discussed with both
    runs' numbers (``flip_reading``); the primary claims that hold, one line each; the primary claims not
    compared, because only one run makes them or because their settings (the trailing parenthesis) differ,
    by their full texts. Without a counterpart on record, one sentence that names the command that makes
    one."""
    from .evidence import EXPLORATORY, PRIMARY
    from .paths import seed_offset

    offset = seed_offset()
    found = _counterpart(notebook, profile)
    if found is None:
        return _no_counterpart(notebook, profile, offset)
    counterpart, there = found
    names = ("this replication", "the committed run") if offset else ("this run", "the replication")
    # The chance of a flip is the run on the committed seeds' (compare_tables' reference), whichever this one is.
    reference_side = "there" if offset else "here"
    rows = compare_tables(*((counterpart, claims) if offset else (claims, counterpart)), notebook)
    both = claims.merge(counterpart, on="claim", suffixes=("_here", "_there"))   # full texts, as compare_tables
    both["chance_flip"] = both.claim.map(rows.set_index("claim").chance_flip)
    both["kind"] = both[f"kind_{reference_side}"]
    primary, exploratory = both[both.kind == PRIMARY], both[both.kind == EXPLORATORY]
    flipped = primary[primary.verdict_here != primary.verdict_there]
    held = primary[primary.verdict_here == primary.verdict_there]
    keep = "keeps its" if len(held) == 1 else "keep their"
    claims_word = "claim" if len(primary) == 1 else "claims"
    lines = [f"Held against {there}: of the {len(primary)} primary {claims_word} in both runs, {len(held)} {keep} "
             f"verdict and {len(flipped)} flipped; chance alone would flip about {np.nansum(primary.chance_flip):.1f} "
             "(taking the run on the committed seeds as the truth, as `python -m fairgap.compare` does)."]
    for _, row in flipped.iterrows():
        lines.append(f"**{row.claim}**: {row.verdict_here} in {names[0]}, {row.verdict_there} in {names[1]}. "
                     f"{names[0].capitalize()}: {_described(row, 'here')}; {names[1]}: {_described(row, 'there')}. "
                     f"{flip_reading(row, *names)}")
    if len(held):
        lines.append("Primary claims that keep their verdict:\n\n" + "\n".join(
            f"- {row.claim}: {row.verdict_here} in both; {names[0]} {_described(row, 'here')}, "
            f"{names[1]} {_described(row, 'there')}." for _, row in held.iterrows()))
    alone = [table.claim[(table.kind == PRIMARY) & ~table.claim.isin(both.claim)] for table in (claims, counterpart)]
    differ = [_settings_differ(mine, other) for mine, other in zip(alone, alone[::-1])]
    only = [f"{claim} ({where} only)" for mine, same, where in zip(alone, differ, names) for claim in mine[~same]]
    if only:
        lines.append(f"In one run only, so not compared: {'; '.join(only)}.")
    stems = [_without_parenthesis(mine[same]) for mine, same in zip(alone, differ)]
    pairs = [" and ".join(f"{' / '.join(mine[same][stem == shared])} in {where}"
                          for mine, same, stem, where in zip(alone, differ, stems, names))
             for shared in dict.fromkeys(stems[0])]
    if pairs:
        lines.append(f"Run with different settings, so not compared (the same claim up to its parenthesis): "
                     f"{'; '.join(pairs)}.")
    if len(exploratory):
        lines.append(f"Exploratory claims: {len(exploratory)} in both, "
                     f"{int((exploratory.verdict_here != exploratory.verdict_there).sum())} flipped (about "
                     f"{np.nansum(exploratory.chance_flip):.1f} by chance); descriptions of these runs, not "
                     "discussed here.")
    return "\n\n".join(lines)


COMPARISONS = "comparisons"   # build/comparisons/<run's figures folder>/{summary.txt, comparison.csv}


def comparisons_dir():
    from .paths import project_root

    return project_root() / "build" / COMPARISONS


def save_comparison(rows: pd.DataFrame, run: Path, reference_name: str = "the committed figures/",
                    unmatched: pd.DataFrame | None = None) -> Path:
    """Write a comparison where the report finds it: ``build/comparisons/<run folder name>/``."""
    folder = comparisons_dir() / Path(run).resolve().name
    folder.mkdir(parents=True, exist_ok=True)
    rows.to_csv(folder / "comparison.csv", index=False)
    (folder / "summary.txt").write_text(f"{Path(run).resolve().name} against {reference_name}:\n"
                                        f"{summary(rows, unmatched)}\n", encoding="utf-8")
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
    parser.add_argument("--keep-replication", action="store_true",
                        help="RUN_FIGURES is a replication's (figures-<profile>-seed-offset-<k>): also copy its claims "
                             "tables to replications/<profile>-seed-offset-<k>/, the copy to commit that the notebooks "
                             "read when build/ holds no replication")
    args = parser.parse_args(argv)
    from .paths import project_root

    reference = args.reference or project_root() / "figures"
    try:
        kept = keep_replication(args.run) if args.keep_replication else None
        rows = compare_folders(reference, args.run)
        unmatched = unmatched_claims(reference, args.run)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if kept is not None:
        print(f"Kept the claims tables of {args.run} in {kept} (commit them: the notebooks read them when build/ "
              "holds no replication).")
    if args.out:
        rows.to_csv(args.out, index=False)
    if args.save:
        save_comparison(rows, args.run, str(reference), unmatched)
    print(f"{args.run} against {reference}:\n{summary(rows, unmatched)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
