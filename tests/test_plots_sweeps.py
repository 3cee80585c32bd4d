"""Figures of notebooks 01-04 on small made-up results: n stated, bands inside the data's range, one seed drawn."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from fairgap.data.bayes import bayes_floor
from fairgap.plots import f1_overfits, f2_strength, sweep_figures

try:
    from .claims_fixture import run_rows, table
    from .test_claims_sweeps import strength_table, versus_table
except ImportError:
    from claims_fixture import run_rows, table
    from test_claims_sweeps import strength_table, versus_table

matplotlib.use("Agg")


def history(seeds, epochs=4):
    """Two methods, ``seeds``, per-epoch rows whose test disparity spreads over seeds."""
    runs = []
    for method in ("ERM", "pen"):
        for s in seeds:
            for epoch in range(epochs):
                test = {"disparity": 0.1 + 0.2 * ((s * 7 + epoch) % 5) / 4, "lighter": 0.9, "darker": 0.7}
                runs.append(run_rows({"method": method, "seed": s}, {"disparity": 0.0, "lighter": 1.0, "darker": 1.0},
                                     test, epoch=epoch, run=f"{method}-{s}"))
    return table(runs)


def bands(fig):
    """Every band (PolyCollection) drawn in the figure: (its axes, {x: (lowest y, highest y)})."""
    drawn = []
    for ax in fig.axes:
        for collection in ax.collections:
            if isinstance(collection, matplotlib.collections.PolyCollection):
                for path in collection.get_paths():
                    x, y = path.vertices[:, 0], path.vertices[:, 1]
                    if len(x):
                        drawn.append((ax, {v: (y[x == v].min(), y[x == v].max()) for v in np.unique(x)}))
    return drawn


def assert_bands_hold_their_means(fig):
    """At least one band is drawn, every band is finite, some band has width (the seeds differ), and each
    band holds, at each of its x, the mean of a line of its panel: what every valid interval of the mean does
    (percentile bootstrap, Student t, ...) with n >= 2 seeds, whatever its width."""
    drawn = bands(fig)
    assert drawn, "no band drawn"
    assert any(high > low for _, band in drawn for low, high in band.values()), "every band has zero width"

    def holds(band, line):
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        at = [y[np.isclose(x, v)] for v in band]
        return all(len(a) and low - 1e-9 <= a[0] <= high + 1e-9 for a, (low, high) in zip(at, band.values()))

    for ax, band in drawn:
        assert np.isfinite(list(band.values())).all(), f"a band in {ax.get_title()!r} is not finite: {band}"
        assert any(holds(band, line) for line in ax.lines), \
            f"a band in {ax.get_title()!r} holds no mean line: {band}"


@pytest.mark.parametrize("seeds, note", [([0, 1, 2], "n = 3 seeds per method"), ([0], "n = 1 seed: no interval")])
def test_f1_states_n_and_its_band_holds_the_means(seeds, note):
    data = history(seeds)
    fig, drawn = f1_overfits.fairness_overfits(data)
    assert note in fig._suptitle.get_text() and "band: 95%" in fig._suptitle.get_text()  # the method: evidence's
    if len(seeds) > 1:  # one seed: no interval to draw
        assert_bands_hold_their_means(fig)
    fig_b, _ = f1_overfits.accuracy_per_group(data)
    assert note in fig_b._suptitle.get_text()
    plt.close("all")


@pytest.mark.parametrize("seeds, note", [(range(5), "n = 5 seeds per point"), ([0], "n = 1 seed: no interval")])
def test_f2_draws_collapse_per_weight_and_states_n(seeds, note):
    fig, drawn = f2_strength.constraint_strength(strength_table(seeds=seeds))
    assert note in fig._suptitle.get_text()
    collapse_ax = fig.axes[3]
    labels = [t.get_text() for t in collapse_ax.texts]
    k = len(list(seeds))
    assert labels == [f"0/{k}", f"0/{k}", f"{k}/{k}"]  # λ = 0.1, 1, 10: only the strongest collapses
    assert set(drawn.metric) >= {"equalized_odds_difference", "accuracy", "accuracy_change_vs_erm", "collapsed"}
    vertical = [line for line in fig.axes[2].lines if line.get_linestyle() == ":" and len(set(line.get_xdata())) == 1]
    marked = [line.get_xdata()[0] for line in vertical]  # (the dotted horizontal line is the gain margin)
    # the operating point, chosen on train and validation data: λ = 1 meets the constraint with the lowest
    # validation disparity (the rule reads means, so one seed chooses it too)
    assert marked == [1.0]
    if k > 1:  # one seed: no interval to draw
        assert_bands_hold_their_means(fig)
    plt.close("all")


def test_f3_states_n():
    data = versus_table("width", [0.0625, 1.0], [0.90, 1.0], [0.02, 0.30])
    fig, drawn = sweep_figures.versus(data, x="parameters", xlabel="parameters", title="Gap against size")
    assert fig._suptitle.get_text().startswith("Gap against size; n = 5 seeds per point")
    assert np.isclose(drawn[drawn.metric == "equalized_odds_difference_gap"].value.mean(), 0.16)
    assert "bayes floor" not in set(drawn.split)  # no floor given (real data): none drawn, none in the data
    floor = bayes_floor("synthetic_faces")
    _, with_floor = sweep_figures.versus(data, x="parameters", xlabel="parameters", title="Gap against size",
                                         floor=floor)
    assert np.isclose(with_floor[with_floor.metric == "equalized_odds_difference_gap"].value.mean(), 0.16)
    floor_rows = with_floor[with_floor.split == "bayes floor"].set_index(["group", "metric"]).value
    assert np.isclose(floor_rows[("all", "equalized_odds_difference")], 0.1132, atol=1e-4)
    plt.close("all")
