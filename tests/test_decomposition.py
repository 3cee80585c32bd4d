"""fairgap.decomposition: the population disparity split against the Bayes floor, and the floor in the figures
(F1-F4, F6, F7) and their data, on small constructed tables with a known answer."""

import json

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from fairgap import decomposition
from fairgap.data.bayes import bayes_floor, floor_disparities
from fairgap.decomposition import FLOOR_LABEL, FLOOR_SPLIT, floor_or_none, runs_of, split_disparity
from fairgap.evidence import t_interval
from fairgap.paths import project_root
from fairgap.plots import f1_overfits, f2_strength, f6_medical, f7_remedies, sweep_figures
from fairgap.profiles import base_config

try:
    from .claims_fixture import run_rows, table
    from .test_claims_medical import score_table
    from .test_claims_remedies import KNOWN, remedies_table
    from .test_claims_sweeps import strength_table, versus_table
    from .test_population_claims import with_population
except ImportError:
    from claims_fixture import run_rows, table
    from test_claims_medical import score_table
    from test_claims_remedies import KNOWN, remedies_table
    from test_claims_sweeps import strength_table, versus_table
    from test_population_claims import with_population

matplotlib.use("Agg")
EO = "equalized_odds_difference"
FACES = bayes_floor("synthetic_faces")
FACES_EO = floor_disparities(FACES)[EO]                      # 0.113 with the default faces
TRAIN = (0.01, 0.02, 0.00, 0.03, 0.04)
POPULATION = (0.30, 0.34, 0.28, 0.32, 0.36)


def per_run():
    """Two settings of one label over five seeds: width 1 as above, width 0.25 with every value halved."""
    rows = [{"label": "pen", "width": width, "seed": s, "train": t * scale, "held_out": p * scale,
             "held_out_split": "population"}
            for width, scale in ((1.0, 1.0), (0.25, 0.5)) for s, (t, p) in enumerate(zip(TRAIN, POPULATION))]
    return pd.DataFrame(rows)


def test_split_disparity_gives_the_known_parts():
    split = split_disparity(per_run(), FACES, EO)
    assert list(split.width) == [1.0, 0.25] and set(split.label) == {"pen"}   # the setting: label and width
    row = split.set_index("width").loc[1.0]
    population, train = np.array(POPULATION), np.array(TRAIN)
    assert FACES_EO == pytest.approx(0.1132, abs=1e-4)
    assert row["Bayes floor"] == pytest.approx(FACES_EO)
    assert row["population"] == pytest.approx(0.32)
    assert row["population − floor"] == pytest.approx(0.32 - FACES_EO)
    assert row["train"] == pytest.approx(0.02)
    assert row["population − train"] == pytest.approx(0.30)
    assert row.n == 5
    # each interval: the Student-t interval over seeds of that part's per-seed values
    assert (row["population ci_low"], row["population ci_high"]) == pytest.approx(t_interval(population))
    assert (row["population − floor ci_low"], row["population − floor ci_high"]) == \
        pytest.approx(t_interval(population - FACES_EO))
    assert (row["population − train ci_low"], row["population − train ci_high"]) == \
        pytest.approx(t_interval(population - train))
    halved = split.set_index("width").loc[0.25]
    assert halved["population − floor"] == pytest.approx(0.16 - FACES_EO)   # below the floor: negative
    # the parts add up: population = floor + (population − floor) = train + (population − train)
    assert np.allclose(split["Bayes floor"] + split["population − floor"], split.population)
    assert np.allclose(split.train + split["population − train"], split.population)


def test_without_a_floor_the_floor_columns_are_empty_and_the_rest_stays():
    with_floor, without = split_disparity(per_run(), FACES, EO), split_disparity(per_run(), None, EO)
    assert without["Bayes floor"].isna().all() and without["population − floor"].isna().all()
    for column in ("population", "train", "population − train", "population − train ci_low", "n"):
        assert np.allclose(without[column], with_floor[column])


def test_each_method_is_split_against_the_floor_of_its_own_disparity():
    parity = "demographic_parity_difference"
    runs = pd.concat([per_run().assign(disparity=EO), per_run().assign(label="dp", disparity=parity)])
    split = split_disparity(runs, FACES, None).set_index(["label", "width"])
    assert split.loc[("pen", 1.0), "Bayes floor"] == pytest.approx(FACES_EO)
    assert split.loc[("dp", 1.0), "Bayes floor"] == pytest.approx(floor_disparities(FACES)[parity])
    assert split.loc[("dp", 1.0), "population − floor"] == pytest.approx(0.32 - floor_disparities(FACES)[parity])


def test_runs_of_reads_a_sweep_table_and_a_score_table():
    # a sweep: population = test + 0.05; the per-run helper of the claims gives train and held-out
    sweep = with_population(versus_table("width", [0.0625, 1.0], [0.90, 1.0], [0.02, 0.30]), 0.05)
    split = split_disparity(runs_of(sweep, EO), FACES, EO).set_index("width")
    assert split.loc[1.0, "population"] == pytest.approx(0.35) and split.loc[1.0, "train"] == pytest.approx(0.0)
    assert split.loc[1.0, "population − floor"] == pytest.approx(0.35 - FACES_EO)
    # without a population the held-out split is test, and the columns say so
    plain = split_disparity(runs_of(versus_table("width", [1.0], [1.0], [0.30]), EO), None, EO)
    assert "test − train" in plain.columns and plain["test − train"].iloc[0] == pytest.approx(0.30)
    # notebook 02: each method on the disparity it targets (the fixture's "pen" targets none: equalized odds)
    strength = split_disparity(runs_of(strength_table()), FACES, None)
    assert set(strength.disparity) == {EO} and list(strength.columns[:3]) == ["method", "weight", "disparity"]
    # notebook 06's score table (ERM's test TPR gap 0.27 + 0.01 seed, train 0)
    scores = split_disparity(runs_of(score_table(), "equal_opportunity_difference"), None,
                             "equal_opportunity_difference").set_index("method")
    assert scores.loc["ERM", "test"] == pytest.approx(0.29)
    assert scores.loc["ERM", "test − train"] == pytest.approx(0.29)


def test_the_floor_is_computed_for_generated_data_only():
    faces = floor_or_none(base_config("default"))
    assert floor_disparities(faces)[EO] == pytest.approx(FACES_EO)
    assert floor_or_none(base_config("paper")) is None                      # CelebA
    assert floor_or_none(base_config("default", dataset="celeba")) is None
    assert decomposition.profile_floor("paper") is None
    assert decomposition.profile_floor("default", sweep=True).equals(faces)


def floor_rows(data: pd.DataFrame) -> pd.DataFrame:
    return data[data.split == FLOOR_SPLIT] if "split" in data.columns else data.iloc[:0]


def floor_lines(fig) -> list:
    return [line for ax in fig.axes for line in ax.lines if line.get_label() == FLOOR_LABEL]


def test_the_sweep_figures_draw_the_floor_and_keep_it_in_their_data_on_generated_data_only():
    data = with_population(versus_table("width", [0.0625, 1.0], [0.90, 1.0], [0.02, 0.30]), 0.05)
    fig, drawn = sweep_figures.versus(data, x="parameters", xlabel="parameters", floor=FACES)
    lines = floor_lines(fig)
    assert len(lines) == 1 and lines[0].axes is fig.axes[1]                   # the disparity panel only
    assert lines[0].get_ydata()[0] == pytest.approx(FACES_EO)
    rows = floor_rows(drawn).set_index(["group", "metric"]).value
    assert rows[("all", EO)] == pytest.approx(FACES_EO)
    assert rows[("darker", "tpr")] == pytest.approx(FACES.loc["darker", "tpr"])
    assert rows[("lighter", "fpr")] == pytest.approx(FACES.loc["lighter", "fpr"])
    assert rows[("all", "accuracy")] == pytest.approx(FACES.loc["all", "accuracy"])
    # real data (floor_or_none gives None): nothing drawn, the data as before, row for row
    real = floor_or_none(base_config("paper"))
    fig_real, plain = sweep_figures.versus(data, x="parameters", xlabel="parameters", floor=real)
    assert not floor_lines(fig_real) and floor_rows(plain).empty
    kept = drawn[drawn.split != FLOOR_SPLIT]
    assert list(kept.columns) == list(plain.columns)
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), plain.reset_index(drop=True),
                                  check_dtype=False)
    plt.close("all")


def test_f1_and_f2_draw_the_floor_of_the_disparity_each_panel_shows():
    history = with_population(table([run_rows({"method": m, "seed": s}, {"disparity": 0.0, "lighter": 1, "darker": 1},
                                               {"disparity": 0.2 + 0.01 * s, "lighter": 0.9, "darker": 0.7},
                                               epoch=e, run=f"{m}-{s}")
                                      for m in ("ERM", "pen") for s in range(3) for e in range(3)]), 0.0)
    fig, data = f1_overfits.fairness_overfits(history, floor=FACES)
    assert len(floor_lines(fig)) == 2                                          # one per method panel
    assert floor_rows(data).set_index(["group", "metric"]).value[("all", EO)] == pytest.approx(FACES_EO)
    assert str(data.epoch.dtype) == "Int64"                 # the runs' epochs stay integers in the CSV
    fig, data = f1_overfits.fairness_overfits(history)
    assert not floor_lines(fig) and floor_rows(data).empty
    fig, drawn = f2_strength.constraint_strength(with_population(strength_table(), 0.05), floor=FACES)
    lines = floor_lines(fig)
    assert [line.axes for line in lines] == [fig.axes[0]]                      # the disparity panel of "pen"
    assert FLOOR_LABEL in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert not floor_rows(drawn).empty
    fig, drawn = f2_strength.constraint_strength(strength_table())
    assert not floor_lines(fig) and floor_rows(drawn).empty
    plt.close("all")


def test_f6_draws_the_tpr_gap_floor_and_f7_a_floor_row():
    xrays = bayes_floor("synthetic_xray")
    fig, drawn = f6_medical.medical_diagnosis(score_table(), floor=xrays)
    lines = floor_lines(fig)
    assert len(lines) == 1 and lines[0].axes is fig.axes[2]
    assert lines[0].get_ydata()[0] == pytest.approx(floor_disparities(xrays)["equal_opportunity_difference"])
    assert set(floor_rows(drawn).panel) == {FLOOR_LABEL}
    fig, drawn = f6_medical.medical_diagnosis(score_table())
    assert not floor_lines(fig) and floor_rows(drawn).empty

    population = {label: [(test + 0.01, accuracy) for _, test, accuracy in runs] for label, runs in KNOWN.items()}
    data = remedies_table(KNOWN, population)
    fig, summary = f7_remedies.remedies(data, floor=FACES)
    line, = floor_lines(fig)
    assert line.get_xdata()[0] == pytest.approx(FACES_EO)                     # disparity is F7's x axis
    floor = summary.set_index("label").loc[FLOOR_LABEL]
    assert floor[f"population {EO}"] == pytest.approx(FACES_EO) and not floor.pareto
    fig, plain = f7_remedies.remedies(data)
    assert not floor_lines(fig) and FLOOR_LABEL not in set(plain.label)
    pd.testing.assert_frame_equal(summary[summary.label != FLOOR_LABEL], plain, check_dtype=False)
    plt.close("all")


@pytest.mark.parametrize("notebook", ["01_fairness_overfits", "02_constraint_strength", "03_model_capacity",
                                      "04_training_set_size", "06_medical_diagnosis", "07_remedies"])
def test_each_study_notebook_passes_the_floor_and_splits_its_disparity(notebook):
    cells = json.loads((project_root() / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert sum("floor = decomposition." in c for c in code) == 1               # computed once
    assert any("save_figure(" in c and "floor=floor" in c for c in code)        # passed to the figure
    split = [i for i, c in enumerate(cells) if "split_disparity(" in "".join(c["source"])]
    assert len(split) == 1 and cells[split[0] - 1]["cell_type"] == "markdown"
    assert "How the population disparity splits" in "".join(cells[split[0] - 1]["source"])
