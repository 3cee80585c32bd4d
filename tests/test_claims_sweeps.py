"""Claims of notebooks 01-04 on small results tables whose answer is known (tests/claims_fixture.py)."""

import numpy as np
import pandas as pd
import pytest

from fairgap.claims.overfitting import overfitting_claims, overfitting_prose, sampling_prose, seed_spread
from fairgap.claims.sweeps import (capacity_claims, capacity_prose, find, size_claims, size_prose, strength_claims,
                                   strength_prose)
from fairgap.evidence import NOT_SHOWN, SHOWN

try:
    from .claims_fixture import run_rows, table
except ImportError:
    from claims_fixture import run_rows, table

JITTER = np.array([-0.02, -0.01, 0.0, 0.01, 0.02])
SHUFFLED = np.array([0.02, -0.02, 0.01, 0.0, -0.01])  # the same spread, paired differently: straddles 0
FITS = {"disparity": 0.0, "lighter": 1.0, "darker": 1.0}


def erm_runs(seeds, test_disparity=0.40):
    return [run_rows({"method": "erm", "weight": 0.0, "seed": s},
                     FITS, {"disparity": test_disparity + JITTER[s], "lighter": 0.95 + JITTER[s], "darker": 0.70 + JITTER[s]})
            for s in seeds]


def strength_table(seeds=range(5), darker_change=(0.01, -0.01, 0.0, 0.01, -0.01), lighter_change=(-0.10,) * 5):
    """ERM interpolates with test disparity 0.40. The penalty at λ = 0.1 still fits (test disparity
    unchanged); at λ = 1 it no longer fits, test disparity falls to 0.25, the lighter group loses 0.10 test
    accuracy (``lighter_change``) and the darker group changes by ``darker_change``; at λ = 10 every seed
    collapses."""
    runs = erm_runs(seeds)
    for s in seeds:
        labels = {"method": "pen", "seed": s}
        runs.append(run_rows({**labels, "weight": 0.1}, FITS, {"disparity": 0.40 + SHUFFLED[s], "lighter": 0.95 + JITTER[s],
                                                              "darker": 0.70 + JITTER[s]}))
        runs.append(run_rows({**labels, "weight": 1.0}, {"disparity": 0.1, "lighter": 0.85, "darker": 0.85},
                             {"disparity": 0.25 + JITTER[s], "lighter": 0.95 + lighter_change[s] + JITTER[s],
                              "darker": 0.70 + JITTER[s] + darker_change[s]}))
        runs.append(run_rows({**labels, "weight": 10.0}, {"disparity": 0.0, "lighter": 0.5, "darker": 0.5, "collapsed": 1},
                             {"disparity": 0.0, "lighter": 0.5, "darker": 0.5, "collapsed": 1}))
    return table(runs)


def test_strength_claims_know_which_effects_are_present():
    claims = strength_claims(strength_table())
    assert find(claims, "ERM: test − train").verdict == SHOWN
    gap = find(claims, "pen: test − train")
    assert gap.claim.endswith("at the strongest weight at which the network still fits its training set (λ = 0.1)")
    assert gap.verdict == SHOWN and gap.estimate == pytest.approx(0.40) and gap.n == 5
    versus_erm = find(claims, "pen: test disparity below ERM's")
    assert versus_erm.verdict == NOT_SHOWN and versus_erm.lower < 0 < versus_erm.upper
    level = find(claims, "leveling down (pen)")
    assert "(λ = 1)" in level.claim and "better-off group (lighter)" in level.claim
    assert level.verdict == SHOWN and level.estimate == pytest.approx(-0.10)
    assert list(claims.columns) == ["claim", "statistic", "estimate", "lower", "upper", "n", "verdict"]


def test_leveling_down_needs_both_conditions():
    # the worse-off group gains clearly: the fairer model helped someone, so it is not leveling down
    gains = find(strength_claims(strength_table(darker_change=[0.05] * 5)), "leveling down (pen)")
    assert gains.estimate < 0 and gains.upper < 0  # the better-off group still loses
    assert gains.verdict == NOT_SHOWN
    assert "darker's interval to reach 0 or below: 0.05 [0.05, 0.05]" in gains.statistic
    prose = strength_prose(strength_table(darker_change=[0.05] * 5), strength_claims(strength_table(darker_change=[0.05] * 5)))
    assert "Leveling down is not shown: the worse-off group gains (its interval is above 0)." in prose


def test_leveling_down_needs_the_better_off_group_to_lose():
    level = find(strength_claims(strength_table(lighter_change=SHUFFLED)), "leveling down (pen)")
    assert level.lower < 0 < level.upper and level.verdict == NOT_SHOWN
    data = strength_table(lighter_change=SHUFFLED)
    assert ("Leveling down is not shown: the better-off group's interval reaches 0 or above, so a loss is not shown."
            in strength_prose(data, strength_claims(data)))


def test_leveling_down_without_a_fairer_weight_is_not_testable():
    data = strength_table()
    data = data[~((data.method == "pen") & (data.weight > 0.5))]
    level = find(strength_claims(data), "leveling down (pen)")
    assert level.verdict == NOT_SHOWN and level.n == 0 and np.isnan(level.estimate)
    assert "no weight lowers test disparity" in level.claim
    assert "Leveling down cannot be tested: no weight lowers the mean test disparity" in strength_prose(
        data, strength_claims(data))


def test_one_seed_shows_nothing_and_the_prose_says_so():
    data = strength_table(seeds=[0])
    claims = strength_claims(data)
    assert (claims.verdict == NOT_SHOWN).all() and (claims.n <= 1).all()
    prose = strength_prose(data, claims)
    assert "Its test − train gap is not shown to be above 0" in prose and "Leveling down is not shown" in prose
    assert "Test disparity above train disparity is not shown" in prose
    assert "is shown" not in prose.replace("not shown", "")


def test_strength_prose_quotes_the_results():
    data = strength_table()
    prose = strength_prose(data, strength_claims(data))
    assert "ERM (n = 5 seeds): train disparity 0.00, test disparity 0.40" in prose
    assert "at least half the seeds collapse to a constant predictor (trivially 'fair') is λ = 10 (100% of seeds)" in prose
    assert ("At λ = 1, the first weight whose mean test disparity (0.25) is below ERM's 95% interval (share of seeds "
            "collapsed: 0%), the test accuracy of the better-off group (lighter) changes by -0.10 [-0.10, -0.10] relative "
            "to ERM and that of the worse-off group (darker) by 0.00 [-0.01, 0.01] (n = 5 seeds, paired by seed). "
            "Leveling down is shown") in prose


def versus_table(axis, values, train_accuracy, gaps, labels=("pen",)):
    runs = []
    for label, (x, acc, gap) in itertools_product(labels, zip(values, train_accuracy, gaps)):
        for s in range(5):
            g = gap[s] if np.ndim(gap) else gap + JITTER[s]
            runs.append(run_rows({"label": label, axis: x, "seed": s, "parameters": 1000 * x},
                                 {"disparity": 0.0, "lighter": acc, "darker": acc},
                                 {"disparity": g, "lighter": 0.9, "darker": 0.7}))
    return table(runs)


def itertools_product(labels, cells):
    cells = list(cells)
    return [(label, cell) for label in labels for cell in cells]


def test_capacity_claim_compares_interpolating_with_under_parameterised_widths():
    data = versus_table("width", [0.0625, 0.25, 1.0], [0.90, 0.97, 1.0], [0.02, 0.10, 0.30])
    row = find(capacity_claims(data), "pen: gap at interpolating widths")
    assert "(widths 1 vs 0.0625)" in row.claim  # 0.25 (train accuracy 0.97) is in neither class
    assert row.verdict == SHOWN and row.estimate == pytest.approx(0.28)
    straddles = versus_table("width", [0.0625, 1.0], [0.90, 1.0], [0.02, 0.02 + SHUFFLED])
    assert find(capacity_claims(straddles), "pen: gap at interpolating").verdict == NOT_SHOWN
    never_fits = versus_table("width", [0.0625, 1.0], [0.90, 0.97], [0.02, 0.30])
    untestable = find(capacity_claims(never_fits), "pen: gap at interpolating")
    assert untestable.verdict == NOT_SHOWN and untestable.n == 0 and "no width with train accuracy ≥ 0.99" in untestable.claim
    prose = capacity_prose(data, capacity_claims(data))
    assert "from width 1 on" in prose and "width 0.0625 (62 parameters): train accuracy 0.90, gap 0.02" in prose


def test_size_claims_pair_the_smallest_with_the_largest_training_set():
    data = versus_table("n_train", [250, 1000, 4000], [1.0, 1.0, 1.0], [0.40, 0.30, 0.20], labels=("ERM",))
    claims = size_claims(data)
    row = find(claims, "ERM: gap at the smallest training set")
    assert row.verdict == SHOWN and row.estimate == pytest.approx(0.20) and "(250 vs 4000 examples)" in row.claim
    grows = versus_table("n_train", [250, 4000], [1.0, 1.0], [0.20, 0.40], labels=("ERM",))
    assert find(size_claims(grows), "ERM: gap at the smallest").verdict == NOT_SHOWN
    prose = size_prose(data, claims)
    assert "the network still fits its training set" in prose and "The gap narrows with more data" in prose
    assert "A narrower gap with more data is not shown" in size_prose(grows, size_claims(grows))


def overfitting_history(seeds=range(5)):
    runs = []
    for s in seeds:
        for method, test, collapsed in (("ERM", 0.40 + JITTER[s], 0), ("pen", SHUFFLED[s], int(s < 3))):
            run = f"{method}-{s}"
            labels = {"method": method, "seed": s}
            # epoch 1 has the opposite gap: only the last epoch counts
            runs.append(run_rows(labels, {"disparity": 0.5, "lighter": 0.6, "darker": 0.6}, {"disparity": 0.0, "lighter": 0.6,
                                 "darker": 0.6}, epoch=1, run=run))
            runs.append(run_rows(labels, FITS, {"disparity": max(test, 0.0) if not collapsed else 0.0, "lighter": 0.9,
                                                "darker": 0.7, "collapsed": collapsed}, epoch=2, run=run))
    return table(runs)


def test_overfitting_claims_per_method_and_collapse():
    history = overfitting_history()
    claims = overfitting_claims(history)
    assert list(claims.claim[:2]) == ["ERM: test − train disparity > 0 at the last epoch",
                                      "ERM: collapses to a constant predictor"]
    assert find(claims, "ERM: test − train").verdict == SHOWN
    assert find(claims, "ERM: collapses").estimate == 0 and find(claims, "ERM: collapses").verdict == NOT_SHOWN
    assert find(claims, "pen: collapses").estimate == pytest.approx(0.6)
    assert find(claims, "pen: test − train").verdict == NOT_SHOWN
    prose = overfitting_prose(history, claims)
    assert "3 of 5 seeds collapsed" in prose and "Test disparity above train disparity is not shown" in prose


def test_sampling_prose_compares_test_sampling_with_seeds():
    sampling = pd.DataFrame({"examples": [600, 400], "positives": [300, 100], "negatives": [300, 300],
                             "TPR ±": [0.057, 0.098], "FPR ±": [0.057, 0.057]}, index=pd.Index(["lighter", "darker"], name="group"))
    spread = seed_spread(overfitting_history())
    assert spread.loc["ERM", "seeds"] == 5 and spread.loc["ERM", "sd over seeds"] == pytest.approx(JITTER.std(ddof=1))
    text = sampling_prose(sampling, spread)
    assert "darker: 100 positives (TPR ± 0.098)" in text and "over seeds only" in text
    assert "± 0.113" in text  # sqrt(0.057² + 0.098²)
    one_seed = sampling_prose(sampling, seed_spread(overfitting_history(seeds=[0])))
    assert "no spread over seeds" in one_seed
