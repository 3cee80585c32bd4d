"""Sliders over cached sweep results: every redraw reads a precomputed table; moving a slider never trains.

One control does train: notebook 02's ``strength_explorer``, when given ``train_new`` (the notebook passes
``fairgap.studies.f2_strength.strength_trainer``), shows a "train a run at new λ" button. Each click trains the chosen
method at the chosen weight, one run per seed of the notebook, through ``sweep.run_sweep`` (in the kernel
or local worker processes, or on the Dask cluster ``DASK_SCHEDULER_ADDRESS`` names; a run already in the
results cache is loaded, not retrained), while the explorer waits, and adds the runs' final epochs to its
table. Nothing trains until the button is clicked; papermill never clicks it. In a notebook run with
results="committed" its ``train_new`` is ``fairgap.committed.refusing_trainer``'s: a click trains nothing and
the status line says that this needs training, and how to train it.

Notebook 02's explorer judges each method on the disparity its objective targets
(``fairgap.claims.sweep_rules.targeted``): selecting another method in its dropdown also changes the
disparity drawn (named in the left panel's title and the status line) unless one disparity is given for all.

Each explorer draws its figure once (plain bars at fixed positions, seaborn's theme and palette) and,
on a slider move, only changes the bars' heights, their 95% intervals and the titles, renders the
figure to PNG bytes and swaps them into an ``ipywidgets.Image``. Each setting's PNG is kept, and
after each move the neighbouring settings are rendered too (once the new image has gone out), so a
step of the slider shows a ready PNG. Building a figure (seaborn's barplot, layout) on every move
cost most of a second; updating artists costs one render. This works in JupyterLab without
front-end extensions, and is inert when papermill executes the notebook headless.
"""

from __future__ import annotations

import html
import io
import math

import ipywidgets as widgets
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .claims.sweep_rules import targeted
from .committed import TrainingRefused
from .evidence import mean_and_interval
from .generalisation import held_out_split
from .plots.common import set_style
from .sweep import final_epoch


def _reporting_errors(status: widgets.HTML):
    """Show a callback's exception in the explorer itself: widget callbacks' errors otherwise only reach
    JupyterLab's log console, and the slider would move while the figure silently stays behind."""
    def wrap(callback):
        def guarded(*args):
            try:
                return callback(*args)
            except Exception as err:  # noqa: BLE001 - reported to the reader, then re-raised for the log
                status.value = f"<span style='color:#b00'>error: {type(err).__name__}: {html.escape(str(err))}</span>"
                raise
        return guarded
    return wrap


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def _summary(values) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval over seeds (nan when there are none)."""
    return mean_and_interval(values)[:3]


class _GroupedBars:
    """Bars for every (category, hue) pair with their interval whiskers, drawn once; ``update`` moves them."""

    def __init__(self, ax, categories: list, hues: list, title: str, ylabel: str = ""):
        self.ax, self.bars = ax, {}
        width = 0.8 / len(hues)
        for j, (hue, color) in enumerate(zip(hues, sns.color_palette(n_colors=len(hues)))):
            xs = [i - 0.4 + width * (j + 0.5) for i in range(len(categories))]
            container = ax.bar(xs, [0.0] * len(categories), width=width * 0.95, color=color, label=str(hue))
            self.bars.update({(category, hue): bar for category, bar in zip(categories, container)})
        self.whiskers = ax.vlines([0.0] * len(self.bars), 0, 0, color="#333", linewidth=1.2)
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
        ax.set(title=title, ylabel=ylabel, xlabel="")
        ax.legend(fontsize="small", loc="upper right")

    def update(self, values: dict, ylim: tuple[float, float] | None = None) -> None:
        """``values[(category, hue)] = (mean, low, high)``; missing or nan pairs draw nothing."""
        segments, top = [], 0.0
        for key, bar in self.bars.items():
            mean, low, high = values.get(key, (math.nan,) * 3)
            bar.set_height(0.0 if math.isnan(mean) else mean)
            x = bar.get_x() + bar.get_width() / 2
            segments.append([(x, low), (x, high)] if not math.isnan(low) else [(x, 0.0), (x, 0.0)])
            top = max([top] + [v for v in (mean, high) if not math.isnan(v)])
        self.whiskers.set_segments(segments)
        self.ax.set_ylim(*(ylim or (0, max(0.05, top * 1.2))))


class _Snapshot:
    """A two-panel figure of grouped bars, outside pyplot (nothing for the inline backend to show)."""

    def __init__(self, left: dict, right: dict):
        set_style()
        self.fig = Figure(figsize=(9, 3.4))
        FigureCanvasAgg(self.fig)
        left_ax, right_ax = self.fig.subplots(1, 2)
        self.left, self.right = _GroupedBars(left_ax, **left), _GroupedBars(right_ax, **right)
        self.title = self.fig.suptitle("\n", fontsize="medium")   # two lines: the setting, then its n and notes
        self.fig.tight_layout()

    def render(self, left: dict, right: dict, title: str, right_ylim=(0, 1), left_title: str | None = None) -> bytes:
        self.left.update(left)
        if left_title is not None:
            self.left.ax.set_title(left_title)
        self.right.update(right, right_ylim)
        self.title.set_text(title)
        return _png(self.fig)


def _prefetch(render, slider) -> None:
    """Render the slider's neighbouring settings too, after the current image has gone out: a step of the
    slider then finds its PNG ready. A failure here is left for the reader's own move to that setting to show."""
    options = list(slider.options)
    at = options.index(slider.value)
    for value in options[max(0, at - 1):at + 2]:
        try:
            render(value)
        except Exception:  # noqa: BLE001, S112 - shown by redraw if the reader moves there
            continue


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _groups(final: pd.DataFrame) -> list:
    return sorted(g for g in final.group.unique() if g != "all")


def _per_seed(frame: pd.DataFrame, metric: str, group="all") -> np.ndarray:
    """One value per seed (the seed's mean over its rows)."""
    part = frame[(frame.metric == metric) & (frame.group == group)]
    return part.groupby("seed").value.mean().to_numpy()


def strength_explorer(table: pd.DataFrame, disparity: str | None = None, train_new=None):
    """A method selector and a slider over the swept weights; optionally a button that trains
    new runs (one per seed) at a chosen weight (``train_new(method, weight) -> table rows``) and adds them.
    Train is set against the held-out split: the population where the runs were scored on one, else test.

    Each method is judged on the disparity its objective targets (``targeted``), ERM beside it on the same
    one; ``disparity`` (not None) forces one metric for every method. The returned box's ``shown`` dict
    says what is drawn now: ``method``, ``weight`` and ``disparity``."""
    state = {"final": final_epoch(table)}
    splits = ["train", held_out_split(table)]
    methods = sorted(m for m in table.method.unique() if m != "erm")
    method = widgets.Dropdown(options=methods, value=methods[0], description="method")
    weight = widgets.SelectionSlider(options=[0.0], description="weight λ", continuous_update=False,
                                     layout=widgets.Layout(width="420px"))
    image = widgets.Image(format="png")
    status = widgets.HTML()
    rendered = {}   # (method, weight) -> (PNG, status): a setting seen (or prefetched) before is shown without drawing
    shown = {}      # what the image shows now: method, weight, disparity (exposed as the box's ``shown``)

    def judged_on(name):
        return targeted(name, disparity)

    def disparity_title(name):
        label = judged_on(name).replace("_", " ")
        return label if disparity is not None else f"{label} (targeted)"

    def weights_of(name):
        final = state["final"]
        return sorted(final[final.method == name].weight.unique().tolist())

    def snapshot():
        if "snapshot" not in state:
            runs = ["selected", "ERM"] if (state["final"].method == "erm").any() else ["selected"]
            state["snapshot"] = _Snapshot(
                dict(categories=splits, hues=runs, title=disparity_title(method.value), ylabel="disparity"),
                dict(categories=_groups(state["final"]), hues=splits,
                     title="accuracy per group (selected)", ylabel="accuracy"))
        return state["snapshot"]

    def render(name, value):
        """The PNG and status line of one setting, drawn the first time it is asked for."""
        if (name, value) not in rendered:
            final = state["final"]
            selected = final[(final.method == name) & (final.weight == value)]
            seeds = selected.seed.nunique()
            collapsed = selected[(selected.metric == "collapsed") & (selected.split == splits[1])].value.sum()
            note = f"; {int(collapsed)}/{seeds} collapsed to a constant predictor" if collapsed else ""
            runs = {"selected": selected, "ERM": final[final.method == "erm"]}
            metric = judged_on(name)
            left = {(split, run): _summary(_per_seed(frame[frame.split == split], metric))
                    for run, frame in runs.items() for split in splits}
            right = {(group, split): _summary(_per_seed(selected[selected.split == split], "accuracy", group))
                     for group in _groups(final) for split in splits}
            title = f"{name}, λ = {value:g}\n(mean and 95% CI over {_seeds(seeds)}{note})"
            why = "set for every method" if disparity is not None else "the disparity it targets"
            png = snapshot().render(left, right, title, left_title=disparity_title(name))
            line = f"<code>{name}</code> λ={value:g}{note}; disparity: <code>{metric}</code> ({why})"
            rendered[name, value] = (png, line)
        return rendered[name, value]

    @_reporting_errors(status)
    def redraw(*_):
        image.value, status.value = render(method.value, weight.value)
        shown.clear()
        shown.update(method=method.value, weight=weight.value, disparity=judged_on(method.value))
        _prefetch(lambda value: render(method.value, value), weight)

    def on_method(*_):
        options = weights_of(method.value)
        weight.unobserve(redraw, "value")
        weight.options = options
        weight.value = options[len(options) // 2]
        weight.observe(redraw, "value")
        redraw()

    method.observe(on_method, "value")
    weight.observe(redraw, "value")
    weight.add_class("fairgap-strength-weight")
    image.add_class("fairgap-strength-image")
    controls = [method, weight]
    if train_new is not None:
        new_weight = widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=2, step=0.1, description="new λ",
                                            continuous_update=False)
        button = widgets.Button(description="train a run at new λ", icon="play", layout=widgets.Layout(width="auto"))

        @_reporting_errors(status)
        def on_click(_):
            button.disabled = True
            status.value = f"training {method.value} at λ={new_weight.value:.3g} ..."
            try:
                try:
                    rows = train_new(method.value, float(new_weight.value))
                except TrainingRefused as refused:  # results="committed": say what would train, and how
                    status.value = html.escape(str(refused))
                    return
                state["final"] = pd.concat([state["final"], final_epoch(rows)], ignore_index=True)
                rendered.clear()
                on_method()
                weight.value = min(weight.options, key=lambda w: abs(w - new_weight.value))
            finally:
                button.disabled = False

        button.on_click(on_click)
        controls += [new_weight, button]
    on_method()
    box = widgets.VBox([widgets.HBox(controls[:2]), widgets.HBox(controls[2:]), image, status])
    box.shown = shown
    return box


def width_explorer(table: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """A slider over the swept widths: each method's train and held-out (the population where the runs were
    scored on one, else test) disparity and accuracy at that width."""
    final = final_epoch(table)
    splits = ["train", held_out_split(table)]
    widths = sorted(final.width.unique().tolist())
    width = widgets.SelectionSlider(options=widths, value=widths[len(widths) // 2], description="width",
                                    continuous_update=False, layout=widgets.Layout(width="420px"))
    image = widgets.Image(format="png")

    part = final[final.split.isin(splits) & (final.group == "all")]
    labels = sorted(part.label.unique().tolist())
    snapshot = _Snapshot(dict(categories=labels, hues=splits, title=disparity.replace("_", " ")),
                         dict(categories=labels, hues=splits, title="accuracy"))
    rendered = {}

    def render(value):
        if value not in rendered:
            at = part[part.width == value]
            values = {metric: {(label, split): _summary(_per_seed(at[(at.label == label) & (at.split == split)], metric))
                               for label in labels for split in splits}
                      for metric in (disparity, "accuracy")}
            params = int(at.parameters.iloc[0]) if len(at) else 0
            title = f"width {value:g} ({params:,} parameters)\n(mean and 95% CI over {_seeds(at.seed.nunique())})"
            rendered[value] = snapshot.render(values[disparity], values["accuracy"], title)
        return rendered[value]

    def redraw(*_):
        image.value = render(width.value)
        _prefetch(render, width)

    width.observe(redraw, "value")
    redraw()
    return widgets.VBox([width, image])
