"""Notebook 09 (what drives the gap): its settings equalise what they say, its claims find the effects a constructed
results table has (tests/claims_fixture.py), and the study runs at smoke scale."""

import ast
import time

import nbformat
import numpy as np
import pandas as pd
import pytest

from fairgap.claims.sweep_rules import find
from fairgap.data.synthetic_faces import FaceConfig
from fairgap.evidence import NOT_SHOWN, SHOWN
from fairgap.paths import project_root
from fairgap.studies import f9_ablation as study

try:
    from .claims_fixture import run_rows, table
except ImportError:
    from claims_fixture import run_rows, table

DEFAULT_KNOBS = study.group_values(FaceConfig())
# The knobs each one-at-a-time setting equalises.
EQUALISED = {"equal share": {"group_proportion"}, "equal base rate": {"base_rate"},
             "equal label noise": {"label_noise"}, "equal cue strength": {"difficulty"},
             "equal contrast": {"mouth_contrast"}, "all equalised": set(study.KNOBS), "default": set()}


# --- the settings ---

def test_the_defaults_differ_in_every_knob_the_settings_equalise():
    assert set(DEFAULT_KNOBS) == set(study.KNOBS)
    for knob, (lighter, darker) in DEFAULT_KNOBS.items():
        assert lighter != pytest.approx(darker), knob
    # the darker group's mouth stands out 0.385 as much as the lighter's (synthetic_faces' docstring)
    lighter, darker = DEFAULT_KNOBS["mouth_contrast"]
    assert darker / lighter == pytest.approx(0.385, abs=0.001)


@pytest.mark.parametrize("profile", ["smoke", "default"])
@pytest.mark.parametrize("setting", list(study.SETTINGS))
def test_each_setting_equalises_its_knobs_and_leaves_the_rest(profile, setting):
    assert set(EQUALISED) == set(study.SETTINGS)
    values = study.group_values(study.face_config(profile, study.SETTINGS[setting]))
    for knob, (lighter, darker) in values.items():
        if knob in EQUALISED[setting]:
            assert lighter == pytest.approx(darker, abs=1e-9), (setting, knob)
        else:
            assert (lighter, darker) == pytest.approx(DEFAULT_KNOBS[knob]), (setting, knob)


def test_per_group_knobs_are_equalised_at_the_lighter_groups_value():
    for setting, knobs in EQUALISED.items():
        values = study.group_values(study.face_config("default", study.SETTINGS[setting]))
        for knob in knobs - {"group_proportion", "mouth_contrast"}:
            assert values[knob][0] == pytest.approx(DEFAULT_KNOBS[knob][0]), (setting, knob)
        if "mouth_contrast" in knobs:  # "absolute": both at the darker group's default contrast (mouth colours >= 0)
            assert values["mouth_contrast"][0] == pytest.approx(DEFAULT_KNOBS["mouth_contrast"][1], abs=1e-6)


def test_the_floor_moves_only_with_the_knobs_it_depends_on():
    floors = study.bayes_floors("default", study.SETTINGS)["equalized_odds_difference"]
    assert floors["default"] > 0.1
    assert floors["equal share"] == pytest.approx(floors["default"])      # shares do not change a group's rates
    assert floors["equal contrast"] == pytest.approx(floors["default"])   # the floor conditions on the latent cue
    for setting in ("equal base rate", "equal label noise", "equal cue strength"):
        assert floors[setting] < floors["default"] - 0.01, setting
    assert floors["all equalised"] == pytest.approx(0.0, abs=1e-12)


def test_the_notebooks_settings_are_the_studys_and_its_seeds_the_profiles():
    nb = nbformat.read(project_root() / "notebooks" / "09_what_drives_the_gap.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assigned = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
                if isinstance(node, ast.Assign)}
    assert assigned["settings"] == study.SETTINGS
    assert assigned["methods"] == study.METHODS
    assert study.scale("default")["seeds"] == [0, 1, 2]
    assert list(study.chosen_settings("default", assigned["settings"])) == list(study.SETTINGS)
    smoke = ["default", "equal cue strength", "all equalised"]
    assert list(study.chosen_settings("smoke", assigned["settings"])) == smoke


# --- the claims, on a table whose answer is known ---

JITTER = np.array([-0.02, -0.01, 0.0, 0.01, 0.02])
SHUFFLED = np.array([0.02, -0.02, 0.01, 0.0, -0.01])   # the same spread, paired differently: straddles 0
FITS = {"disparity": 0.0, "lighter": 1.0, "darker": 1.0}
PEN = "EO penalty"
# setting: (ERM's test disparity, the penalty's test disparity, the floor); ERM interpolates (train disparity 0), the
# penalty keeps train disparity 0.02.
EFFECTS = {"default": (0.40, 0.25, 0.11), "equal cue strength": (0.20, 0.15, 0.07), "all equalised": (0.03, 0.03, 0.0)}


def ablation_table(seeds=range(5)):
    """ERM's and the penalty's test disparities of ``EFFECTS`` plus noise that differs between the settings and
    between the methods (JITTER and SHUFFLED, rolled by the setting's position), so that every paired difference has
    a spread and its mean is exactly the difference of the effects."""
    runs = []
    for k, (setting, (erm, pen, _)) in enumerate(EFFECTS.items()):
        for s in seeds:
            runs.append(run_rows({"label": "ERM", "method": "erm", "setting": setting, "seed": s}, FITS,
                                 {"disparity": erm + np.roll(JITTER, k)[s], "lighter": 0.95, "darker": 0.8}))
            runs.append(run_rows({"label": PEN, "method": "equalized_odds_max_penalty", "setting": setting, "seed": s},
                                 {**FITS, "disparity": 0.02},
                                 {"disparity": pen + np.roll(SHUFFLED, k)[s], "lighter": 0.93, "darker": 0.8}))
    return table(runs)


FLOORS = pd.DataFrame({"equalized_odds_difference": {s: f for s, (_, _, f) in EFFECTS.items()}})


def test_claims_find_the_constructed_effects():
    claims = study.ablation_claims(ablation_table(), FLOORS)
    assert (claims.kind == "exploratory").all() and not claims.claim.duplicated().any()
    # per setting: 4 findings; per equalised setting: 4 changes against the default
    assert len(claims) == 3 * 4 + 2 * 4
    gap = find(claims, "default: ERM's train–test gap > 0")
    assert gap.verdict == SHOWN and gap.estimate == pytest.approx(0.40) and gap.n == 5
    assert find(claims, "all equalised: ERM's train–test gap > 0").verdict == SHOWN     # 0.03 ± 0.02: still above 0
    assert find(claims, f"default: {PEN} buys test fairness").estimate == pytest.approx(0.15)
    assert find(claims, f"default: {PEN} buys test fairness").verdict == SHOWN
    assert find(claims, f"equal cue strength: {PEN} buys test fairness").verdict == SHOWN   # 0.05
    assert find(claims, f"all equalised: {PEN} buys test fairness").verdict == NOT_SHOWN  # straddles 0
    penalty = find(claims, f"default: {PEN}'s train–test gap > 0.05")        # 0.25 on test − 0.02 on train
    assert penalty.verdict == SHOWN and penalty.estimate == pytest.approx(0.23) and penalty.null == pytest.approx(0.05)
    assert find(claims, f"all equalised: {PEN}'s train–test gap > 0.05").verdict == NOT_SHOWN      # 0.01
    floor = find(claims, "default: ERM's test disparity − Bayes floor > 0.05")
    assert floor.verdict == SHOWN and floor.estimate == pytest.approx(0.29) and floor.null == pytest.approx(0.05)
    assert find(claims, "all equalised: ERM's test disparity − Bayes floor > 0.05").verdict == NOT_SHOWN  # 0.03
    lower = find(claims, "equal cue strength vs default: ERM's test disparity lower")
    assert lower.verdict == SHOWN and lower.estimate == pytest.approx(-0.20) and lower.direction == "<"
    assert find(claims, "equal cue strength vs default: ERM's train–test gap lower").verdict == SHOWN
    penalty_gap = find(claims, f"equal cue strength vs default: {PEN}'s train–test gap lower")
    assert penalty_gap.verdict == SHOWN and penalty_gap.estimate == pytest.approx(-0.10)
    smaller = find(claims, f"equal cue strength vs default: {PEN}'s test benefit over ERM smaller")
    assert smaller.verdict == SHOWN and smaller.estimate == pytest.approx(-0.10)


def test_a_change_the_other_way_is_not_shown_and_one_seed_shows_nothing():
    # the penalty's benefit rises from the default's 0.15: "smaller" cannot be shown
    runs = ablation_table()
    bigger = runs.copy()
    mask = (bigger.setting == "equal cue strength") & (bigger.label == PEN) & (bigger.split == "test") & \
           (bigger.metric == "equalized_odds_difference")
    bigger.loc[mask, "value"] = 0.02 + np.roll(SHUFFLED, 1)[bigger.loc[mask, "seed"].to_numpy()]  # benefit 0.18
    claims = study.ablation_claims(bigger, FLOORS)
    assert find(claims, f"equal cue strength vs default: {PEN}'s test benefit over ERM smaller").verdict == NOT_SHOWN
    single = study.ablation_claims(ablation_table(seeds=[0]), FLOORS)
    assert (single.verdict == NOT_SHOWN).all() and (single.n == 1).all()


def test_without_the_baseline_no_change_is_claimed_and_no_floor_is_untestable():
    runs = ablation_table()
    claims = study.ablation_claims(runs[runs.setting != "default"], FLOORS)
    assert not claims.claim.str.contains(" vs ").any() and len(claims) == 2 * 4
    no_floor = study.ablation_claims(runs, FLOORS.iloc[:0])
    floor = find(no_floor, "default: ERM's test disparity − Bayes floor")
    assert floor.verdict == NOT_SHOWN and "not testable" in floor.claim


def test_survival_table_prose_summary_and_figure():
    runs = ablation_table()
    claims = study.ablation_claims(runs, FLOORS)
    survival = study.survival_table(claims, runs)
    assert list(survival.index) == list(EFFECTS)
    assert list(survival.columns) == ["ERM's train–test gap > 0", f"{PEN}'s train–test gap > 0.05",
                                      f"{PEN} buys test fairness over ERM (benefit > 0)",
                                      "ERM's test disparity − Bayes floor > 0.05"]
    assert survival.loc["all equalised"].tolist() == [SHOWN, NOT_SHOWN, NOT_SHOWN, NOT_SHOWN]
    assert survival.loc["default"].tolist() == [SHOWN, SHOWN, SHOWN, SHOWN]
    prose = study.ablation_prose(runs, FLOORS, claims)
    assert "**Equalising the smile cue's strength** (equal cue strength against default" in prose
    assert "it lowers ERM's test equalized odds difference (-0.20 [" in prose
    assert "Of the equalised settings, equal cue strength and all equalised lower ERM's" in prose
    assert "0.110" in prose and "no population split" in prose
    summary = study.ablation_summary(runs, FLOORS)
    assert summary.loc[("default", PEN), "test benefit over ERM"].startswith("0.150 [")
    assert summary.loc[("default", "ERM"), "Bayes floor"] == pytest.approx(0.11)

    import matplotlib.pyplot as plt

    from fairgap.plots import f9_ablation as plots
    fig, data = plots.what_drives_the_gap(runs, FLOORS)
    assert "n = 5 seeds per point" in fig._suptitle.get_text()
    assert len(fig.axes) == 3
    floor_rows = data[data.label == "Bayes floor"]
    assert floor_rows.set_index("setting").value.to_dict() == pytest.approx({s: f for s, (_, _, f) in EFFECTS.items()})
    benefits = data[data.quantity.str.startswith("test benefit")]
    assert benefits.groupby("setting").value.mean()["default"] == pytest.approx(0.15)
    plt.close(fig)


# --- the study at smoke scale ---

@pytest.mark.slow
def test_the_study_runs_at_smoke_scale(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("FAIRGAP_DATA", str(tmp_path / "data"))
    start = time.time()
    settings = study.chosen_settings("smoke", study.SETTINGS)
    runs = study.what_drives_the_gap("smoke", settings, executor="sequential")
    assert time.time() - start < 60
    assert set(runs.setting) == set(settings) and set(runs.label) == set(study.METHODS)
    assert (runs.split == "population").any()
    floors = study.bayes_floors("smoke", settings)
    claims = study.ablation_claims(runs, floors)
    assert find(claims, "equal cue strength vs default: ERM's population disparity lower").n == 1
    assert study.survival_table(claims, runs).shape == (3, 4)


def test_the_primary_settings_run_at_the_primary_seeds_whatever_their_name():
    from fairgap.claims.primary import ALL_EQUALISED, EQUAL_SHARE, seeds_for

    label, eo = next((label, dict(spec)) for label, spec in study.METHODS.items() if spec["method"] != "erm")
    few, many = [0, 1, 2], list(range(21))
    assert seeds_for(study.NOTEBOOK, {**eo, "data": dict(EQUAL_SHARE), "label": "renamed"}, few, many) == many
    for options in ({}, EQUAL_SHARE, ALL_EQUALISED):
        assert seeds_for(study.NOTEBOOK, {"method": "erm", "data": dict(options)}, few, many) == few
    for options in ({}, ALL_EQUALISED):
        assert seeds_for(study.NOTEBOOK, {**eo, "data": dict(options)}, few, many) == few
    assert study.scale("default")["primary_seeds"] == many      # what the pilot asked for
    assert seeds_for(study.NOTEBOOK, {**eo, "data": study.SETTINGS["equal cue strength"]}, few, many) == few
    # the notebook's own settings are the study's: its defaults run the primaries at their seeds
    cells = nbformat.read(project_root() / "notebooks" / "09_what_drives_the_gap.ipynb", as_version=4).cells
    scope = {}
    exec("".join(next(c for c in cells if "parameters" in c.metadata.get("tags", [])).source), scope)
    assert scope["settings"] == study.SETTINGS and scope["methods"][label] == eo
