import pytest

from fairgap import widgets
from fairgap.sweep import plan, product, run_sweep
from fairgap.train import RunConfig

TINY = RunConfig(data={"n_train": 120, "n_val": 40, "n_test": 80, "image_size": 16}, width=0.25, epochs=1,
                 batch_size=64)


@pytest.fixture
def strength_table():
    specs = product(method=["equalized_odds_max_penalty"], weight=[0.1, 1.0, 10.0]) + [{"method": "erm"}]
    table = run_sweep(plan(TINY, specs, seeds=[0]), executor="sequential", progress=False)
    table.loc[table.method == "erm", "weight"] = 0.0
    return table


def _children(box):
    for child in getattr(box, "children", ()):
        yield child
        yield from _children(child)


def _find(box, cls):
    return [c for c in _children(box) if isinstance(c, cls)]


def _more_weights(table, weights=(100.0, 1000.0)):
    """The table with copies of its λ=10 runs relabelled as larger weights: more slider stops, no training."""
    import pandas as pd

    top = table[table.weight == 10.0]
    return pd.concat([table] + [top.assign(weight=w, run=top.run.astype(str) + f"@{w:g}") for w in weights],
                     ignore_index=True)


def test_strength_slider_redraws_from_the_table(strength_table, monkeypatch):
    import ipywidgets

    renders = []
    real_png = widgets._png
    monkeypatch.setattr(widgets, "_png", lambda fig: renders.append(fig) or real_png(fig))
    explorer = widgets.strength_explorer(_more_weights(strength_table))
    slider = _find(explorer, ipywidgets.SelectionSlider)[0]
    image = _find(explorer, ipywidgets.Image)[0]
    assert list(slider.options) == [0.1, 1.0, 10.0, 100.0, 1000.0] and slider.value == 10.0
    before = image.value
    assert before[:4] == b"\x89PNG"
    assert len(renders) == 3                 # the setting shown and its two neighbours, ready for a step
    slider.value = 100.0                     # a step: its PNG was ready; then 1000 is prefetched
    assert image.value != before and len(renders) == 4
    slider.value = 10.0                      # seen before: nothing is drawn
    assert image.value == before and len(renders) == 4
    slider.value = 1000.0
    assert len(renders) == 4 and image.value != before
    assert all(fig is renders[0] for fig in renders)  # one figure whose artists are updated, not one per move


def test_train_button_adds_a_weight(strength_table):
    import ipywidgets

    calls = []

    def train_new(method, weight):
        calls.append((method, weight))
        table = run_sweep(plan(TINY, [{"method": method, "weight": weight}], seeds=[0]), executor="sequential",
                          progress=False)
        return table

    explorer = widgets.strength_explorer(strength_table, train_new=train_new)
    new_weight = _find(explorer, ipywidgets.FloatLogSlider)[0]
    new_weight.value = 3.0
    _find(explorer, ipywidgets.Button)[0].click()
    slider = _find(explorer, ipywidgets.SelectionSlider)[0]
    assert calls and calls[0][0] == "equalized_odds_max_penalty" and calls[0][1] == pytest.approx(3.0, rel=0.01)
    assert any(abs(w - 3.0) < 0.05 for w in slider.options) and abs(slider.value - 3.0) < 0.05


def test_width_slider_redraws():
    import ipywidgets

    specs = [{"method": "erm", "width": w, "label": "ERM"} for w in (0.25, 0.5)]
    table = run_sweep(plan(TINY, specs, seeds=[0]), executor="sequential", progress=False)
    explorer = widgets.width_explorer(table)
    slider = _find(explorer, ipywidgets.SelectionSlider)[0]
    image = _find(explorer, ipywidgets.Image)[0]
    before = image.value
    slider.value = 0.25 if slider.value != 0.25 else 0.5
    assert image.value != before


def test_explorers_set_train_against_the_population_when_the_runs_were_scored_on_one(strength_table, monkeypatch):
    made, drawn = [], {}
    real_snapshot, real_update = widgets._Snapshot, widgets._GroupedBars.update
    monkeypatch.setattr(widgets, "_Snapshot", lambda left, right: made.append((left, right)) or real_snapshot(left, right))
    monkeypatch.setattr(widgets._GroupedBars, "update",
                        lambda self, values, ylim=None: drawn.update(values) or real_update(self, values, ylim))
    specs = [{"method": "erm", "width": w, "label": "ERM"} for w in (0.25, 0.5)]
    scored = run_sweep(plan(TINY.replace(population=200), specs, seeds=[0]), executor="sequential", progress=False)
    widgets.width_explorer(scored)
    assert made[0][0]["hues"] == made[0][1]["hues"] == ["train", "population"]
    assert [mean for (label, split), (mean, low, high) in drawn.items() if split == "population" and mean > 0]
    widgets.strength_explorer(strength_table)        # runs without a population: train against test
    assert made[1][0]["categories"] == made[1][1]["hues"] == ["train", "test"]


def test_a_failing_redraw_is_shown_in_the_explorer(strength_table, monkeypatch):
    import ipywidgets

    explorer = widgets.strength_explorer(_more_weights(strength_table))
    status = _find(explorer, ipywidgets.HTML)[0]
    monkeypatch.setattr(widgets, "_png", lambda fig: (_ for _ in ()).throw(RuntimeError("no backend")))
    slider = _find(explorer, ipywidgets.SelectionSlider)[0]
    with pytest.raises(RuntimeError):
        slider.value = 0.1                   # two steps away from the start: not prefetched, so drawn now
    assert "RuntimeError: no backend" in status.value


METHODS = ["demographic_parity_penalty", "equal_opportunity_penalty", "equalized_odds_max_penalty"]


@pytest.fixture
def three_penalties():
    """One tiny run per penalty (each targets a different disparity) and ERM, at two weights."""
    specs = product(method=METHODS, weight=[0.1, 1.0]) + [{"method": "erm"}]
    table = run_sweep(plan(TINY, specs, seeds=[0]), executor="sequential", progress=False)
    table.loc[table.method == "erm", "weight"] = 0.0
    return table


def _left_titles(monkeypatch):
    """At every render: the figure's title, its left (disparity) panel's title and the values drawn there."""
    drawn = []
    real_render = widgets._Snapshot.render

    def render(self, left, right, title, right_ylim=(0, 1), left_title=None):
        png = real_render(self, left, right, title, right_ylim, left_title)
        drawn.append((title, self.left.ax.get_title(), left))
        return png

    monkeypatch.setattr(widgets._Snapshot, "render", render)
    return drawn


def test_each_method_is_drawn_on_the_disparity_it_targets(three_penalties, monkeypatch):
    import ipywidgets

    from fairgap.claims.sweep_rules import targeted
    from fairgap.sweep import final_epoch

    drawn = _left_titles(monkeypatch)
    explorer = widgets.strength_explorer(three_penalties)
    dropdown = _find(explorer, ipywidgets.Dropdown)[0]
    status = _find(explorer, ipywidgets.HTML)[0]
    assert list(dropdown.options) == METHODS and dropdown.value == "demographic_parity_penalty"
    final = final_epoch(three_penalties)
    expected = {"demographic_parity_penalty": "demographic_parity_difference",
                "equal_opportunity_penalty": "equal_opportunity_difference",
                "equalized_odds_max_penalty": "equalized_odds_difference"}
    assert {m: targeted(m) for m in METHODS} == expected
    for method in [*METHODS[1:], METHODS[0]]:        # select each method, the opening one last
        dropdown.value = method
        metric = expected[method]
        assert explorer.shown["method"] == method and explorer.shown["disparity"] == metric
        assert metric in status.value
        shown_title = f"{method}, λ = {explorer.shown['weight']:g}"
        title, left = next((t, v) for figure, t, v in drawn if figure.startswith(shown_title))
        assert title == metric.replace("_", " ") + " (targeted)"
        at = final[(final.method == method) & (final.weight == explorer.shown["weight"])]
        for split in ("train", "test"):
            want = widgets._per_seed(at[at.split == split], metric).mean()
            assert left[split, "selected"][0] == pytest.approx(want)
            erm = widgets._per_seed(final[(final.method == "erm") & (final.split == split)], metric).mean()
            assert left[split, "ERM"][0] == pytest.approx(erm)


def test_a_given_disparity_is_drawn_for_every_method(three_penalties, monkeypatch):
    import ipywidgets

    drawn = _left_titles(monkeypatch)
    explorer = widgets.strength_explorer(three_penalties, disparity="accuracy_difference")
    dropdown = _find(explorer, ipywidgets.Dropdown)[0]
    for method in METHODS:
        dropdown.value = method
        assert explorer.shown == {"method": method, "weight": explorer.shown["weight"],
                                  "disparity": "accuracy_difference"}
        assert drawn[-1][1] == "accuracy difference"
