"""Reproduction and replication comparisons of claims tables (fairgap.compare)."""

import numpy as np
import pandas as pd
import pytest

from fairgap import compare
from fairgap.evidence import CLAIM_COLUMNS, claim, claims_table, t_interval


def table(claims) -> pd.DataFrame:
    return claims_table(claims)[list(CLAIM_COLUMNS)]


REFERENCE = table([claim("A: gap > 0", "s", [0.30, 0.35, 0.40, 0.28, 0.33]),
                   claim("B: drop < 0", "s", [-0.02, 0.01, -0.03, 0.0, -0.01], "<"),
                   claim("C: only in the reference", "s", [0.1, 0.2])])


def write(folder, notebook, frame):
    (folder / notebook).mkdir(parents=True)
    frame.to_csv(folder / notebook / "claims.csv", index=False)


def test_a_reproduction_flips_nothing(tmp_path):
    write(tmp_path / "ref", "01_x", REFERENCE)
    write(tmp_path / "run", "01_x", REFERENCE)
    rows = compare.compare_folders(tmp_path / "ref", tmp_path / "run")
    assert len(rows) == 3 and not rows.flipped.any() and not rows.outside.any()
    assert "0 verdicts flipped" in compare.summary(rows)


def test_a_changed_run_is_caught_and_named(tmp_path):
    run = table([claim("A: gap > 0", "s", [0.0, 0.05, -0.04, 0.02, 0.01]),            # no longer shown, far off
                 claim("B: drop < 0", "s", [-0.02, 0.01, -0.03, 0.0, -0.01], "<")])   # unchanged
    rows = compare.compare_tables(REFERENCE, run, "01_x").set_index("claim")
    assert rows.loc["A: gap > 0", "flipped"] and rows.loc["A: gap > 0", "outside"]
    assert not rows.loc["B: drop < 0", "flipped"] and not rows.loc["B: drop < 0", "outside"]
    assert "C: only in the reference" not in rows.index
    text = compare.summary(rows.reset_index())
    assert "1 verdicts flipped" in text and "flipped (exploratory) 01_x: A: gap > 0 — shown -> not shown" in text


def test_claims_only_one_side_makes_are_named_not_compared(tmp_path):
    run = table([claim("A: gap > 0", "s", [0.30, 0.35, 0.40, 0.28, 0.33]),
                 claim("B: drop < 0", "s", [-0.02, 0.01, -0.03, 0.0, -0.01], "<"),
                 claim("D: a new setting's (w=2)", "s", [0.1, 0.2, 0.3])])
    write(tmp_path / "ref", "01_x", REFERENCE)
    write(tmp_path / "run", "01_x", run)
    write(tmp_path / "ref", "02_not_run", REFERENCE)          # a notebook the run did not execute: not listed
    unmatched = compare.unmatched_claims(tmp_path / "ref", tmp_path / "run")
    assert sorted(zip(unmatched.only_in, unmatched.claim)) == [("reference", "C: only in the reference"),
                                                                ("run", "D: a new setting's (w=2)")]
    text = compare.summary(compare.compare_folders(tmp_path / "ref", tmp_path / "run"), unmatched)
    assert "not compared: 1 claims only in the reference, 1 only in the run" in text
    assert "only in the reference (exploratory) 01_x: C: only in the reference" in text
    assert compare.unmatched_claims(tmp_path / "ref", tmp_path / "ref").empty


# Issue 34: notebook 03's replication compared its gap over widths 0.5 and 1 with one over width 1 as one claim.
EO_REFERENCE = "EO: gap at interpolating widths > 0 (widths 0.5, 1 vs 0.125)"
EO_RUN = "EO: gap at interpolating widths > 0 (widths 1 vs 0.125)"


def test_a_claim_whose_settings_differ_is_not_compared_but_named_on_both_sides(tmp_path):
    reference = table([claim(EO_REFERENCE, "s", [0.10, 0.15, 0.16]), claim("X: y (λ = 1)", "s", [0.1, 0.2, 0.3]),
                       claim("X: y (λ = 2)", "s", [0.1, 0.2, 0.3])])
    run = table([claim(EO_RUN, "s", [0.2, 0.25, 0.27]), claim("X: y (λ = 2)", "s", [0.1, 0.2, 0.3])])
    assert compare.compare_tables(reference, run, "03_x").claim.tolist() == ["X: y (λ = 2)"]
    write(tmp_path / "ref", "03_x", reference)
    write(tmp_path / "run", "03_x", run)
    unmatched = compare.unmatched_claims(tmp_path / "ref", tmp_path / "run")
    assert sorted(zip(unmatched.only_in, unmatched.claim, unmatched.settings_differ)) == [
        ("reference", EO_REFERENCE, True), ("reference", "X: y (λ = 1)", False), ("run", EO_RUN, True)]
    rows = compare.compare_folders(tmp_path / "ref", tmp_path / "run")
    text = compare.summary(rows)   # the unmatched claims come along with compare_folders' rows
    assert text == compare.summary(rows, unmatched) == compare.summary(pd.concat([rows, rows.iloc[:0]]))
    assert "exploratory: 1 claims compared" in text
    assert "not compared: 2 claims only in the reference, 1 only in the run (settings that differ" in text
    assert f"  settings differ (exploratory) 03_x: {EO_REFERENCE} (reference) vs {EO_RUN} (run)" in text
    assert "  only in the reference (exploratory) 03_x: X: y (λ = 1)" in text
    assert not [line for line in text.splitlines() if line.startswith("  only in the run")]


def test_claims_with_identical_texts_settings_included_are_compared(tmp_path):
    reference = table([claim(EO_REFERENCE, "s", [0.10, 0.15, 0.16]), claim("A (same splits)", "s", [0.1, 0.2, 0.3])])
    run = table([claim(EO_REFERENCE, "s", [0.30, 0.35, 0.36]), claim("A (same splits)", "s", [0.1, 0.2, 0.3])])
    rows = compare.compare_tables(reference, run, "03_x").set_index("claim")
    assert rows.index.tolist() == [EO_REFERENCE, "A (same splits)"]
    assert rows.loc[EO_REFERENCE, "estimate_reference"] == pytest.approx(0.1367, abs=1e-4)
    assert rows.loc[EO_REFERENCE, "estimate_run"] == pytest.approx(0.3367, abs=1e-4)
    assert rows.loc[EO_REFERENCE, "outside"] and not rows.loc["A (same splits)", "outside"]
    write(tmp_path / "ref", "03_x", reference)
    write(tmp_path / "run", "03_x", run)
    assert compare.unmatched_claims(tmp_path / "ref", tmp_path / "run").empty
    assert "not compared" not in compare.summary(compare.compare_folders(tmp_path / "ref", tmp_path / "run"))


def test_the_chance_of_landing_outside_matches_simulation():
    rng = np.random.default_rng(5)
    for n in (3, 10):
        hits = 0
        for _ in range(4000):
            first, second = rng.normal(size=n), rng.normal(size=n)
            low, high = t_interval(first)
            hits += not (low <= second.mean() <= high)
        reference = table([claim("x", "s", rng.normal(size=n))]).iloc[0]
        row = {"n_reference": n, "lower_reference": reference.lower, "upper_reference": reference.upper,
               "estimate_reference": reference.estimate, "direction": ">", "null": 0.0,
               "verdict_reference": reference.verdict}
        assert compare._chances(row)[0] == pytest.approx(hits / 4000, abs=0.025)


def test_the_chance_of_a_flip_is_small_for_a_clear_effect_and_large_near_the_threshold():
    clear = {"n_reference": 10, "lower_reference": 0.28, "upper_reference": 0.32, "estimate_reference": 0.30,
             "direction": ">", "null": 0.0, "verdict_reference": "shown"}
    borderline = {**clear, "lower_reference": 0.001, "upper_reference": 0.599}
    assert compare._chances(clear)[1] < 0.001 and 0.3 < compare._chances(borderline)[1] < 0.7


def test_the_command_names_a_missing_folder(tmp_path, capsys):
    assert compare.main([str(tmp_path / "nothing")]) == 2
    assert "No claims tables under" in capsys.readouterr().err


def test_a_saved_comparison_is_listed_and_shown_in_the_report(tmp_path, monkeypatch):
    from fairgap import report

    monkeypatch.setenv("FAIRGAP_ROOT", str(tmp_path))
    write(tmp_path / "ref", "01_x", REFERENCE)
    write(tmp_path / "figures-default-seed-offset-100", "01_x", REFERENCE)
    rows = compare.compare_folders(tmp_path / "ref", tmp_path / "figures-default-seed-offset-100")
    compare.save_comparison(rows, tmp_path / "figures-default-seed-offset-100")
    [(name, text, csv)] = compare.read_comparisons()
    assert name == "figures-default-seed-offset-100" and "0 verdicts flipped" in text and csv.is_file()
    html = report._comparisons_html(tmp_path / "report-out")
    assert "Reproduction and replication" in html and "0 verdicts flipped" in html
    assert (tmp_path / "report-out" / "comparisons" / f"{name}.csv").is_file()


def test_no_comparison_no_report_section(tmp_path, monkeypatch):
    from fairgap import report

    monkeypatch.setenv("FAIRGAP_ROOT", str(tmp_path))
    assert compare.read_comparisons() == [] and report._comparisons_html(tmp_path) == ""


def test_a_seed_offset_shifts_every_profile_seed_and_moves_the_figures(monkeypatch):
    from fairgap.paths import figures_dir, with_seed_offset
    from fairgap.studies import f0_classical as classical, f1_overfits, f2_strength, f6_medical as medical
    from fairgap.studies import f5_verification as verification, f8_capacity_family as capacity_family

    before = (classical.scale("default")["seeds"], capacity_family.scale("default")["issue460"]["seeds"],
              medical.scale("default")["seeds"], verification.profile_seeds("default", primary=True),
              f1_overfits.scale("default")["seeds"], f2_strength.scale("default")["primary_seeds"])
    monkeypatch.delenv("FAIRGAP_FIGURES", raising=False)
    monkeypatch.setenv("FAIRGAP_SEED_OFFSET", "100")
    after = (classical.scale("default")["seeds"], capacity_family.scale("default")["issue460"]["seeds"],
             medical.scale("default")["seeds"], verification.profile_seeds("default", primary=True),
             f1_overfits.scale("default")["seeds"], f2_strength.scale("default")["primary_seeds"])
    for old, new in zip(before, after):
        assert new == [seed + 100 for seed in old]
    assert with_seed_offset({"seeds": [0], "n": 3, "inner": {"cnn_seeds": (1,)}}) == \
        {"seeds": [100], "n": 3, "inner": {"cnn_seeds": [101]}}
    assert figures_dir("default").name == "figures-default-seed-offset-100"
    monkeypatch.setenv("FAIRGAP_SEED_OFFSET", "-3")
    with pytest.raises(ValueError, match="whole number"):
        classical.scale("default")


def test_runner_refuses_compare_outside_the_default_profile_and_a_negative_offset(capsys):
    from fairgap import run_notebooks

    for argv in (["--profile", "smoke", "--compare"], ["--seed-offset", "-1"], ["--report-only", "--compare"]):
        with pytest.raises(SystemExit):
            run_notebooks.main([*argv, "--check-arguments"])
    assert run_notebooks.main(["--seed-offset", "100", "--compare", "--only", "01", "--check-arguments"]) == 0


def test_relative_locations_are_made_absolute_for_the_kernels(tmp_path, monkeypatch):
    from fairgap import run_notebooks

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAIRGAP_FIGURES", "build/figures-again")
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "results"))
    run_notebooks.absolute_locations()
    import os
    assert os.environ["FAIRGAP_FIGURES"] == str(tmp_path / "build" / "figures-again")
    assert os.environ["FAIRGAP_RESULTS"] == str(tmp_path / "results")


def test_a_subset_run_is_judged_at_the_collections_holm_adjustment(tmp_path):
    from fairgap.evidence import PRIMARY as PRIMARY_KIND, holm, verdict_of

    def adjusted(frame, p_adjusted):
        frame = frame.assign(p_adjusted=p_adjusted)
        return frame.assign(verdict=frame.apply(verdict_of, axis=1))

    a = table([claim("A: gap > 0", "s", [0.02, 0.03, -0.002, 0.025, 0.018], kind=PRIMARY_KIND)])
    b = table([claim("B: gap > 0", "s", [0.5, 0.6, 0.55, 0.52, 0.58], kind=PRIMARY_KIND)])
    assert 0.0125 < a.p_value[0] < 0.025 and b.p_value[0] < a.p_value[0] / 2  # B ranks first; A passes at m = 1 only
    collection = holm([a.p_value[0], b.p_value[0]])
    write(tmp_path / "ref", "01_a", adjusted(a, collection[0]))
    write(tmp_path / "ref", "08_b", adjusted(b, collection[1]))
    # a reproduction of notebook 01 alone adjusted itself counting 08 at p = 1: A at 2p, not shown
    alone = adjusted(a, holm([a.p_value[0], 1.0])[0])
    assert alone.verdict[0] != pd.read_csv(tmp_path / "ref" / "01_a" / "claims.csv").verdict[0]
    write(tmp_path / "run", "01_a", alone)
    rows = compare.compare_folders(tmp_path / "ref", tmp_path / "run")
    assert len(rows) == 1 and not rows.flipped.any()
