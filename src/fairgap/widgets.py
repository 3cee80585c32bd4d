"""Sliders over cached sweep results: every redraw reads a precomputed table, nothing trains.

Each explorer renders a small matplotlib figure to PNG bytes and swaps it into an
``ipywidgets.Image``, which is fast (tens of milliseconds), works in JupyterLab without
extra front-end extensions, and is inert when papermill executes the notebook headless.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

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
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _snapshot_figure(final: pd.DataFrame, selected: pd.DataFrame, reference: pd.DataFrame | None,
                     disparity: str, title: str):
    """Two panels: disparity on train/test, accuracy per group on train/test (mean over seeds)."""
    set_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    rows = []
    for name, frame in (("selected", selected), ("ERM", reference)):
        if frame is None or frame.empty:
            continue
        for split in ("train", "test"):
            part = frame[frame.split == split]
            rows.append({"run": name, "split": split,
                         "disparity": part[(part.metric == disparity) & (part.group == "all")].value.mean()})
            for group in sorted(g for g in part.group.unique() if g != "all"):
                rows.append({"run": name, "split": split, "group": group,
                             "accuracy": part[(part.metric == "accuracy") & (part.group == group)].value.mean()})
    data = pd.DataFrame(rows)
    disp = data.dropna(subset=["disparity"])
    sns.barplot(data=disp, x="split", y="disparity", hue="run", ax=left)
    left.set(ylabel=disparity.replace("_", " "), title="disparity", ylim=(0, max(0.05, disp.disparity.max() * 1.2)))
    acc = data.dropna(subset=["accuracy"])
    sns.barplot(data=acc[acc.run == "selected"], x="group", y="accuracy", hue="split", ax=right)
    right.set(title="accuracy per group (selected)", ylim=(0, 1))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def strength_explorer(table: pd.DataFrame, disparity: str = "equalized_odds_difference", train_new=None):
    """A method selector and a slider over the swept weights; optionally a button that trains
    one new run at a chosen weight (``train_new(method, weight) -> table rows``) and adds it."""
    state = {"final": final_epoch(table)}
    methods = sorted(m for m in table.method.unique() if m != "erm")
    method = widgets.Dropdown(options=methods, value=methods[0], description="method")
    weight = widgets.SelectionSlider(options=[0.0], description="weight λ", continuous_update=False,
                                     layout=widgets.Layout(width="420px"))
    image = widgets.Image(format="png")
    status = widgets.HTML()

    def weights_of(name):
        final = state["final"]
        return sorted(final[final.method == name].weight.unique().tolist())

    @_reporting_errors(status)
    def redraw(*_):
        final = state["final"]
        selected = final[(final.method == method.value) & (final.weight == weight.value)]
        seeds = selected.seed.nunique()
        collapsed = selected[(selected.metric == "collapsed") & (selected.split == "test")].value.sum()
        note = f"; {int(collapsed)}/{seeds} collapsed to a constant predictor" if collapsed else ""
        image.value = _png(_snapshot_figure(final, selected, final[final.method == "erm"], disparity,
                                            f"{method.value}, λ = {weight.value:g} (mean over {seeds} seeds{note})"))
        status.value = f"<code>{method.value}</code> λ={weight.value:g}{note}"

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
                rows = train_new(method.value, float(new_weight.value))
                state["final"] = pd.concat([state["final"], final_epoch(rows)], ignore_index=True)
                on_method()
                weight.value = min(weight.options, key=lambda w: abs(w - new_weight.value))
            finally:
                button.disabled = False

        button.on_click(on_click)
        controls += [new_weight, button]
    on_method()
    return widgets.VBox([widgets.HBox(controls[:2]), widgets.HBox(controls[2:]), image, status])


def width_explorer(table: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """A slider over the swept widths: each method's train and test disparity and accuracy at that width."""
    final = final_epoch(table)
    widths = sorted(final.width.unique().tolist())
    width = widgets.SelectionSlider(options=widths, value=widths[len(widths) // 2], description="width",
                                    continuous_update=False, layout=widgets.Layout(width="420px"))
    image = widgets.Image(format="png")

    def redraw(*_):
        set_style()
        part = final[(final.width == width.value) & final.split.isin(["train", "test"]) & (final.group == "all")]
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
        sns.barplot(data=part[part.metric == disparity], x="label", y="value", hue="split", ax=left)
        left.set(title=disparity.replace("_", " "), ylabel="", xlabel="")
        sns.barplot(data=part[part.metric == "accuracy"], x="label", y="value", hue="split", ax=right)
        right.set(title="accuracy", ylabel="", xlabel="", ylim=(0, 1))
        params = int(part.parameters.iloc[0]) if len(part) else 0
        fig.suptitle(f"width {width.value:g} ({params:,} parameters)")
        fig.tight_layout()
        image.value = _png(fig)

    width.observe(redraw, "value")
    redraw()
    return widgets.VBox([width, image])
