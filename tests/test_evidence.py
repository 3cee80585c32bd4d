"""Bootstrap intervals over seeds and the claims table (fairgap.evidence)."""

import numpy as np
import pandas as pd
import pytest

from fairgap.evidence import (CLAIM_COLUMNS, NOT_SHOWN, SHOWN, bootstrap_interval, claim, claims_table, fmt,
                              mean_interval, paired, save_claims)


def test_bootstrap_interval_stays_inside_the_metric_range():
    # Rates near the edge of [0, 1]: a Student-t interval of these leaves the range, the bootstrap cannot.
    values = [0.0, 0.0, 0.02, 0.9, 0.01]
    low, high = bootstrap_interval(values)
    assert 0.0 <= low <= np.mean(values) <= high <= 1.0
    assert high <= max(values) and low >= min(values)


def test_bootstrap_interval_covers_the_mean_of_normal_data_about_95_percent():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(200):
        low, high = bootstrap_interval(rng.normal(size=30), n_resamples=2000, seed=int(rng.integers(1 << 30)))
        hits += low <= 0 <= high
    assert 0.88 <= hits / 200 <= 0.99


def test_bootstrap_interval_is_deterministic_and_handles_degenerate_input():
    assert bootstrap_interval([0.1, 0.5, 0.3]) == bootstrap_interval([0.1, 0.5, 0.3])
    assert bootstrap_interval([0.4]) == (0.4, 0.4)
    assert bootstrap_interval([0.2, 0.2, 0.2]) == (0.2, 0.2)
    assert all(np.isnan(bootstrap_interval([])))
    assert bootstrap_interval([0.1, np.nan, 0.3]) == bootstrap_interval([0.1, 0.3])


def test_claim_verdict_needs_the_interval_on_the_claimed_side():
    clearly_positive = claim("gap > 0", "test - train", [0.3, 0.35, 0.4, 0.28, 0.33])
    assert clearly_positive.verdict == SHOWN and clearly_positive.lower > 0 and clearly_positive.n == 5
    straddling = claim("gap > 0", "test - train", [0.3, -0.2, 0.1, -0.1, 0.05])
    assert straddling.verdict == NOT_SHOWN and straddling.lower < 0 < straddling.upper
    below = claim("drop < 0", "change", [-0.1, -0.05, -0.2], direction="<")
    assert below.verdict == SHOWN
    assert claim("one seed", "x", [0.5]).verdict == NOT_SHOWN  # no evidence from one run
    with pytest.raises(ValueError, match="direction"):
        claim("x", "y", [1, 2], direction=">=")


def test_paired_differences_match_seeds():
    frame = pd.DataFrame({"label": ["a", "a", "a", "b", "b"], "seed": [0, 1, 2, 0, 2], "value": [1, 2, 3, 0.5, 1]})
    diff = paired(frame, "label", "a", "b")
    assert diff.to_dict() == {0: 0.5, 2: 2.0}


def test_mean_interval_columns_and_counts():
    frame = pd.DataFrame({"k": ["x", "x", "y"], "value": [0.1, 0.3, 0.5]})
    out = mean_interval(frame, ["k"]).set_index("k")
    assert list(out.columns) == ["mean", "n", "ci_low", "ci_high"]
    assert out.loc["x", "n"] == 2 and out.loc["x", "mean"] == pytest.approx(0.2)


def test_claims_table_is_saved_with_its_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_FIGURES", str(tmp_path))
    table = claims_table([claim("gap > 0", "test - train", [0.3, 0.4, 0.35])])
    path = save_claims(table, "01_x", profile="smoke")
    written = pd.read_csv(path)
    assert tuple(written.columns) == CLAIM_COLUMNS and written.verdict.iloc[0] == SHOWN
    with pytest.raises(ValueError, match="missing: verdict"):
        save_claims(table.drop(columns="verdict"), "01_x", profile="smoke")


def test_fmt():
    assert fmt(0.3141, 0.2, 0.4) == "0.31 [0.20, 0.40]"
    assert fmt(float("nan")) == "n/a"


def test_rate_halfwidth():
    from fairgap.evidence import rate_halfwidth

    assert rate_halfwidth(400) == pytest.approx(1.959964 * 0.5 / 20, rel=1e-5)
    assert rate_halfwidth(1600) == pytest.approx(rate_halfwidth(400) / 2)
    assert np.isnan(rate_halfwidth(0))
