"""Notebooks 01-04 measure generalisation on the population where the runs have one (test otherwise), judge
each method of 02 on the disparity it targets, test the demographic-parity mechanism in 01, and draw the
population beside the test split."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from fairgap.plots import f1_overfits, f2_strength, sweep_figures
from fairgap.claims import mark_primary
from fairgap.claims.sweep_rules import find
from fairgap.studies import f2_strength as strength
from fairgap.studies.f1_overfits import overfitting_claims, overfitting_prose
from fairgap.studies.f2_strength import strength_claims, strength_prose
from fairgap.claims.primary import EO_WEIGHT
from fairgap.evidence import PRIMARY, SHOWN

try:
    from .test_claims_sweeps import JITTER, overfitting_history, strength_table, versus_table
    from .test_plots_sweeps import history as per_epoch_history
except ImportError:
    from test_claims_sweeps import JITTER, overfitting_history, strength_table, versus_table
    from test_plots_sweeps import history as per_epoch_history

matplotlib.use("Agg")
PARITY = "demographic_parity_difference"


def with_population(table: pd.DataFrame, shift: float) -> pd.DataFrame:
    """The last epoch's test rows again as the population's, every value moved by ``shift`` (collapse kept)."""
    last = table.groupby("run").epoch.transform("max")
    population = table[(table.split == "test") & (table.epoch == last)].assign(split="population")
    moved = population.metric != "collapsed"
    population.loc[moved, "value"] += shift
    return pd.concat([table, population], ignore_index=True)


def test_strength_claims_read_the_population_when_present_and_test_otherwise():
    plain = strength_claims(strength_table())
    assert find(plain, "ERM: test − train disparity > 0").estimate == pytest.approx(0.40)
    claims = strength_claims(with_population(strength_table(), 0.05))
    erm = find(claims, "ERM: population − train disparity > 0")
    assert erm.estimate == pytest.approx(0.45) and "population − train" in erm.statistic
    assert not claims.claim.str.contains("test").any()
    assert "loses population accuracy" in find(claims, "leveling down (pen): the better-off").claim
    prose = strength_prose(with_population(strength_table(), 0.05), claims)
    assert "**Finite test set against the population.**" in prose and "-0.050" in prose  # test − population


def test_overfitting_claims_read_the_population_and_notebook_01_marks_no_primary():
    history = with_population(overfitting_history(), -0.1).replace({"method": {"pen": "FairALM"}})
    claims = mark_primary(overfitting_claims(history), "01_fairness_overfits")
    gap = find(claims, "ERM: population − train disparity")
    assert gap.estimate == pytest.approx(0.30)
    # FairALM failed the operating-point rule on the pilot: notebook 01 declares no primary claim
    assert find(claims, "FairALM: population disparity − ERM's > −0.05").kind != PRIMARY
    assert (claims.kind != PRIMARY).all()


def parity_history(seeds=range(5), drop=0.10):
    """ERM fits every label: train DP difference = the training base-rate gap 0.15, population 0.15. The DP
    penalty has train DP 0.05 and population DP 0.15 − ``drop``, and costs the darker group 0.05 of train accuracy."""
    base = overfitting_history(seeds).replace({"method": {"pen": "DP penalty"}})
    base = base.assign(objective=base.method.map({"ERM": "erm", "DP penalty": "demographic_parity_penalty"}))
    last = base.epoch == base.epoch.max()
    eo = base[(base.metric == "equalized_odds_difference") & last]
    values = {("ERM", "train"): 0.15, ("ERM", "test"): 0.15, ("DP penalty", "train"): 0.05,
              ("DP penalty", "test"): 0.15 - drop}
    parity = eo.assign(metric=PARITY, value=[values.get((m, s), 0.1) + JITTER[seed] * (m == "ERM")
                                             for m, s, seed in zip(eo.method, eo.split, eo.seed)])
    rates = eo[eo.split == "train"]
    base_rates = pd.concat([rates.assign(group=g, metric="base_rate", value=v) for g, v in (("lighter", 0.50),
                                                                                          ("darker", 0.35))])
    table = pd.concat([base, parity, base_rates], ignore_index=True)
    cost = (table.method == "DP penalty") & (table.metric == "accuracy") & (table.group == "darker") & \
        (table.split == "train") & (table.epoch == table.epoch.max())
    table.loc[cost, "value"] -= 0.05 + JITTER[table.loc[cost, "seed"].to_numpy()] / 10
    return with_population(table, 0.0)


def test_parity_claims_use_demographic_parity_and_the_declared_primary():
    claims = mark_primary(overfitting_claims(parity_history()), "01_fairness_overfits")
    bought = find(claims, "DP penalty: population demographic parity difference − ERM's < −0.05")
    assert bought.estimate == pytest.approx(-0.10) and bought.direction == "<" and bought.n == 5
    assert find(claims, "DP penalty: meets its constraint on the training set").estimate == pytest.approx(0.05)
    assert "demographic parity" in bought.statistic
    erm = find(claims, "ERM: train demographic parity difference > 0")
    assert erm.estimate == pytest.approx(0.15) and erm.verdict == SHOWN
    cost = find(claims, "DP penalty: train accuracy (darker) below ERM's")
    assert cost.estimate == pytest.approx(-0.05) and cost.verdict == SHOWN
    assert find(claims, "DP penalty: train accuracy (lighter) below ERM's").verdict != SHOWN
    assert find(claims, "DP penalty: population − train demographic parity").estimate == pytest.approx(0.0)
    prose = overfitting_prose(parity_history(), claims)
    assert "training base rates differ by 0.15" in prose and "train demographic parity difference 0.05" in prose
    # not bought: the same claim is not shown (its interval is not below −0.05)
    none = overfitting_claims(parity_history(drop=0.0))
    assert find(none, "DP penalty: population demographic parity").estimate == pytest.approx(0.0)
    # no method targets demographic parity: no parity claims
    assert not overfitting_claims(overfitting_history()).claim.str.contains("demographic parity").any()



def test_a_parity_penalty_that_misses_its_constraint_on_the_training_set_is_not_tested_against_erm():
    history = parity_history()
    missed = (history.method == "DP penalty") & (history.metric == PARITY) & (history.split == "train")
    history.loc[missed, "value"] = 0.12   # above the operating-point rule's tolerance of 0.05
    claims = overfitting_claims(history)
    bought = find(claims, "DP penalty: population demographic parity difference − ERM's < −0.05")
    assert bought.n == 0 and "not testable: it misses its constraint on the training set" in bought.claim
    assert find(claims, "DP penalty: meets its constraint on the training set").verdict != SHOWN
    assert "it misses its own constraint on the training set (mean train demographic parity difference 0.12" in \
        overfitting_prose(history, claims)

def test_strength_judges_each_method_on_the_disparity_it_targets():
    table = strength_table()
    table = table.assign(method=table.method.replace({"pen": "demographic_parity_penalty"}))
    with pytest.raises(KeyError):  # the table has no demographic parity rows: the targeted metric is read
        strength_claims(table)
    parity = table[table.metric == "equalized_odds_difference"].assign(metric=PARITY)
    claims = strength_claims(pd.concat([table, parity], ignore_index=True))
    assert "demographic parity difference" in find(claims, "demographic_parity_penalty: test − train").statistic
    assert len(claims[claims.claim.str.startswith("ERM: test − train disparity > 0 (demographic parity")]) == 1
    eo = strength_claims(pd.concat([table, parity], ignore_index=True), disparity="equalized_odds_difference")
    assert "equalized odds difference" in find(eo, "demographic_parity_penalty: test − train").statistic


def test_constraint_strength_runs_the_primary_method_and_erm_at_the_primary_seeds(monkeypatch):
    planned = []

    def capture(runs, **_):
        planned.extend(runs)
        return pd.DataFrame({"method": [r.config.method for r in runs], "weight": [r.labels.get("weight") for r in runs]})

    monkeypatch.setattr(strength, "run_sweep", capture)
    strength.constraint_strength("smoke", ["equalized_odds_max_penalty", "equal_opportunity_penalty",
                                           "demographic_parity_penalty"], [EO_WEIGHT, 3.0], seeds=[0, 1],
                                 primary_seeds=[0, 1, 2, 3])
    seeds = pd.DataFrame([{"method": r.config.method, "weight": r.labels.get("weight"), "seed": r.config.seed}
                          for r in planned]).groupby(["method", "weight"], dropna=False).seed.apply(sorted)
    # only the declared operating point (and ERM, its reference) is behind a primary claim
    assert seeds.loc[("equalized_odds_max_penalty", EO_WEIGHT)] == [0, 1, 2, 3]
    assert seeds.loc[("equalized_odds_max_penalty", 3.0)] == [0, 1]
    assert all(s == [0, 1] for s in seeds.loc["equal_opportunity_penalty"])
    assert all(s == [0, 1] for s in seeds.loc["demographic_parity_penalty"])
    assert seeds.loc["erm"].iloc[0] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="primary_seeds"):
        strength.constraint_strength("smoke", ["equal_opportunity_penalty"], [0.3], seeds=[0], primary_seeds=[])


def hollow_markers(fig) -> list:
    return [line for ax in fig.axes for line in ax.lines if line.get_markerfacecolor() == "none"]


def test_sweep_figures_draw_the_population_with_the_test_split_beside_it():
    for table in (strength_table(), versus_table("width", [0.0625, 1.0], [0.90, 1.0], [0.02, 0.30])):
        draw = (lambda t: f2_strength.constraint_strength(t)) if "weight" in table else \
            (lambda t: sweep_figures.versus(t, x="parameters", xlabel="parameters"))
        plain, _ = draw(table)
        assert not hollow_markers(plain) and "dashed: the test split" in plain._suptitle.get_text()
        fig, drawn = draw(with_population(table, 0.05))
        assert hollow_markers(fig) and "population" in set(drawn.split)
        assert "hollow markers: the finite test split" in fig._suptitle.get_text()
        assert "seeds vary" in fig._suptitle.get_text()
        plt.close("all")


def test_f1_marks_the_population_at_the_final_epoch():
    data = per_epoch_history([0, 1, 2])
    plain, _ = f1_overfits.fairness_overfits(data)
    diamonds = lambda fig: [l for ax in fig.axes for l in ax.lines if l.get_marker() == "D"]  # noqa: E731
    assert not diamonds(plain)
    fig, drawn = f1_overfits.fairness_overfits(with_population(data, 0.05))
    marks = diamonds(fig)
    assert len(marks) == 2 and all(np.asarray(m.get_xdata())[0] == 3 for m in marks)  # one per method, last epoch
    assert "population" in fig._suptitle.get_text() and "population" in set(drawn.split)
    plt.close("all")
