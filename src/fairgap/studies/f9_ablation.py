"""Notebook 09: what drives the gap. The synthetic faces' two groups differ in five ways
(``fairgap.data.synthetic_faces`` lists them); this study equalises them one at a time, and all at once, and asks
what each does to ERM's population disparity, to the train–population gap and to what the equalized-odds penalty
buys over ERM.

**Settings** (``SETTINGS``: data options merged over the profile's dataset options, the faces always):

================== ========================================= ==========================================================
setting            options                                   what it equalises
================== ========================================= ==========================================================
default            {}                                        nothing
equal share        group_proportion 0.5                      how many images each group has (0.7 / 0.3 by default)
equal base rate    base_rate (0.5, 0.5)                      P(smiling) (0.5 / 0.35)
equal label noise  label_noise (0.02, 0.02)                  P(recorded label flipped) (0.02 / 0.05)
equal cue strength difficulty (0.2, 0.2)                     how far the mouth corners lift (0.2 / 0.45)
equal contrast     mouth_contrast "absolute"                 how far the mouth stands out from the skin (0.385 as much
                                                             on darker skin by default)
all equalised      every one of the above at once            the groups then differ only in skin colour
================== ========================================= ==========================================================

**The equalising values.** Every per-group knob is set to the *lighter group's* value (base rate 0.5, label noise
0.02, difficulty 0.2), not the mean of the two: the ablation then changes the darker group's data alone and keeps the
lighter group, where ERM already does well, as a fixed reference, so a change in the disparity is read as a change in
the darker group's conditions; a mean would move both groups at once, and the lighter group's rates with them. It
also keeps the task from getting harder overall (a mean would raise the lighter group's noise and difficulty). The
share has one equal value, 0.5 (it changes how many examples each group has, not how its images look). The contrast
has one equal setting the generator allows without mouth colours below 0: "absolute" gives both groups the darker
group's mouth-skin difference, so it lowers the lighter group's contrast to the darker's rather than raising the
darker's (``fairgap.data.synthetic_faces.mouth_shift``).

**The Bayes floor** (``fairgap.data.bayes``) is computed per setting from its config (``bayes_floor_for``). It
conditions on the latent variables, not the pixels, so two settings have the default's floor: equal share (the share
changes how many examples a group has, not its rates) and equal contrast (the contrast changes how much of the smile
cue the pixels show, not the cue). For these two a fall in ERM's disparity is a fall towards a floor that did not
move; with everything equalised the floor is 0.

**Runs.** ERM and the equalized-odds penalty at notebook 02's operating point (``EO_WEIGHT``, warmup 2 epochs) in
every setting, at sweep scale (``fairgap.profiles.sweep_base``), over the profile's exploratory seeds
(``fairgap.profiles.sweep_scale``: 3 in the default profile), the setting behind the primary claim
(``fairgap.claims.primary``: the penalty with equal shares) over 21. The smoke profile runs three of the settings
(``SCALE``).

**Claims**, all paired by seed within a setting or between a setting and the default:

* per setting (the findings whose survival the notebook tabulates, ``survival_table``): ERM's train–population gap
  > 0; the penalty's population benefit over ERM (ERM's population disparity minus the penalty's) > 0; ERM's
  population disparity minus the setting's Bayes floor > 0.05 (``FLOOR_MARGIN``: more than the floor explains);
* per equalised setting against the default: ERM's population disparity is lower, ERM's train–population gap is
  lower, the penalty's gap is lower, and the penalty's benefit over ERM is smaller. The directions were fixed before
  the runs: equalising a difference that causes the disparity should remove part of it, and so leave the penalty
  less to buy. A change the other way is "not shown"; the prose gives every estimate and interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims.primary import ALL_EQUALISED, EO_WEIGHT, EQUAL_SHARE, seeds_for
from ..claims.sweep_rules import benefit as shared_benefit
from ..claims.sweep_rules import constrained_labels, find, finite_test_paragraph, held_out_of, per_run, said, seeds_text
from ..evidence import LITTLE, SHOWN, claim, claims_table, fmt_mean, seed_difference, untestable
from ..paths import with_seed_offset
from ..profiles import sweep_base, sweep_executor, sweep_scale
from ..sweep import plan, run_sweep

NOTEBOOK = "09_what_drives_the_gap"
DATASET = "synthetic_faces"
BASELINE = "default"
FLOOR_MARGIN = LITTLE  # 0.05: a disparity more than this above the floor is more than the data alone impose
METHODS = {"ERM": {"method": "erm"},
           f"EO penalty λ={EO_WEIGHT:g}": {"method": "equalized_odds_max_penalty", "weight": EO_WEIGHT,
                                            "warmup_epochs": 2}}
_EQUAL = ALL_EQUALISED
SETTINGS = {
    "default": {},
    "equal share": dict(EQUAL_SHARE),
    "equal base rate": {"base_rate": _EQUAL["base_rate"]},
    "equal label noise": {"label_noise": _EQUAL["label_noise"]},
    "equal cue strength": {"difficulty": _EQUAL["difficulty"]},
    "equal contrast": {"mouth_contrast": _EQUAL["mouth_contrast"]},
    "all equalised": dict(_EQUAL),
}
# The knobs of FaceConfig that make the groups differ, and how the prose names each difference.
KNOBS = {"group_proportion": "the group share", "base_rate": "the base rate", "label_noise": "the label noise",
         "difficulty": "the smile cue's strength", "mouth_contrast": "the mouth contrast"}
# The default profile's primary (``fairgap.claims.primary``): its pilot asked for 21 seeds.
SCALE = {"smoke": dict(only=("default", "equal cue strength", "all equalised")),
         "default": dict(only=None, primary_seeds=list(range(21))),
         "paper": dict(only=None)}
RULE = ("Every setting runs ERM and the equalized-odds penalty at notebook 02's operating point on the same seeds; "
        "the penalty's benefit is ERM's population disparity minus the penalty's, same setting and seed; a setting is "
        "compared with the default seed by seed. The Bayes floor is the setting's own (fairgap.data.bayes), and a "
        f"disparity counts as more than the data impose when it exceeds the floor by more than {FLOOR_MARGIN:g}.")


def scale(profile: str) -> dict:
    """The sweeps' seeds and evaluation (``fairgap.profiles.sweep_scale``) with the profile's choice of settings
    (``only``: their names, None for every one)."""
    return {**sweep_scale(profile), **with_seed_offset(SCALE[profile])}


def rules() -> str:
    """How notebook 09's claims compare settings, in words."""
    return RULE + (" Claims over settings pair the runs by seed and take a 95% Student-t interval of the per-seed "
                   "differences.")


def chosen_settings(profile: str, settings: dict[str, dict] | None = None, only=None) -> dict[str, dict]:
    """The settings a run uses: ``settings`` (None: ``SETTINGS``) restricted to the names in ``only`` (None: the
    profile's choice, every setting outside the smoke profile), in their order."""
    settings = dict(SETTINGS if settings is None else settings)
    only = scale(profile)["only"] if only is None else only
    chosen = {name: dict(options) for name, options in settings.items() if only is None or name in only}
    if not chosen:
        raise ValueError(f"No setting left to run: settings {list(settings)} restricted to {list(only)}.")
    return chosen


def setting_config(profile: str, options: dict, data: dict | None = None):
    """The sweep-scale RunConfig of one setting: the faces, the profile's options, ``data``, then ``options``."""
    return sweep_base(profile, dataset=DATASET, data={**(data or {}), **options})


def face_config(profile: str, options: dict, data: dict | None = None):
    """The FaceConfig that one setting's runs draw their data from (every seed draws from the same knobs)."""
    from ..data.synthetic_faces import FaceConfig

    config = setting_config(profile, options, data)
    return FaceConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.data.items()})


def mouth_skin_contrast(config) -> tuple[float, float]:
    """Per group (lighter, darker): the RGB distance between the skin and the mouth, before jitter."""
    from ..data.synthetic_faces import MOUTH_GAIN, MOUTH_TINT, mouth_shift

    skin = np.asarray(config.skin, dtype=float)
    if config.mouth_contrast == "absolute":
        mouth = np.clip(skin - mouth_shift(config), 0, 1)
    else:
        mouth = skin * MOUTH_GAIN * np.asarray(MOUTH_TINT)
    distance = np.linalg.norm(skin - mouth, axis=1)
    return float(distance[0]), float(distance[1])


def group_values(config) -> dict[str, tuple[float, float]]:
    """Per knob of ``KNOBS``: its value for the lighter and the darker group in ``config`` (a FaceConfig); the share
    as each group's share of the images, the mouth contrast as the mouth-skin RGB distance."""
    return {"group_proportion": (1 - config.group_proportion, config.group_proportion),
            "base_rate": tuple(config.base_rate), "label_noise": tuple(config.label_noise),
            "difficulty": tuple(config.difficulty), "mouth_contrast": mouth_skin_contrast(config)}


def bayes_floors(profile: str, settings: dict[str, dict], data: dict | None = None) -> pd.DataFrame:
    """Per setting (rows, in order): the Bayes floor's disparities (columns, ``floor_disparities``) of its config."""
    from ..data.bayes import bayes_floor_for, floor_disparities

    rows = {name: floor_disparities(bayes_floor_for(setting_config(profile, options, data)))
            for name, options in settings.items()}
    frame = pd.DataFrame(rows).T
    frame.index.name = "setting"
    return frame


def knob_table(profile: str, settings: dict[str, dict], data: dict | None = None,
               disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """What each setting gives each group: per setting, every knob as "lighter / darker", and the Bayes floor of
    ``disparity``."""
    floors = bayes_floors(profile, settings, data)
    rows = {}
    for name, options in settings.items():
        values = group_values(face_config(profile, options, data))
        rows[name] = {knob: f"{a:.3g} / {b:.3g}" for knob, (a, b) in values.items()}
        rows[name][f"Bayes floor ({disparity.replace('_', ' ')})"] = floors.loc[name].get(disparity, np.nan)
    frame = pd.DataFrame(rows).T.rename(columns={"group_proportion": "share", "base_rate": "base rate",
                                                 "label_noise": "label noise", "mouth_contrast": "mouth contrast"})
    frame.index.name = "setting (lighter / darker)"
    return frame


def what_drives_the_gap(profile: str, settings: dict[str, dict] | None = None, methods: dict[str, dict] | None = None,
                        seeds: list[int] | None = None, only=None, executor: str = "auto",
                        data: dict | None = None, results: str = "train",
                        primary_seeds: list[int] | None = None) -> pd.DataFrame:
    """F9's data: each labelled method spec (None: ``METHODS``) in each setting (``chosen_settings``), at sweep scale,
    over ``seeds`` (None: the profile's exploratory seeds), the settings behind a primary claim (``PRIMARY_SEEDS``: the
    spec and the setting's data options) over ``primary_seeds`` (None: the profile's); ``data`` merges under every
    setting's options. The
    results table of ``fairgap.sweep.run_sweep`` with a ``setting`` column, kept beside the figures; with
    ``results="committed"`` that kept table, read back (``fairgap.committed``; nothing trains)."""
    from ..committed import COMMITTED, check_results, keep, load

    if check_results(results) == COMMITTED:
        return load("09_what_drives_the_gap", profile=profile)
    settings = chosen_settings(profile, settings, only)
    methods = METHODS if methods is None else methods
    seeds = scale(profile)["seeds"] if seeds is None else list(seeds)
    primary_seeds = scale(profile)["primary_seeds"] if primary_seeds is None else list(primary_seeds)
    runs = []
    for name, options in settings.items():
        specs = [{"label": label, **spec, "seeds": seeds_for(NOTEBOOK, {**spec, "data": options}, seeds, primary_seeds)}
                 for label, spec in methods.items()]
        for r in plan(setting_config(profile, options, data), specs, seeds):
            r.labels["setting"] = name
            runs.append(r)
    table = run_sweep(runs, executor=sweep_executor(profile, executor), progress=profile != "smoke")
    keep(table, "09_what_drives_the_gap", profile=profile)
    return table


# --- per-run quantities, the summary, claims and prose ---

def _floor(floors: pd.DataFrame, setting: str, disparity: str) -> float:
    if setting not in floors.index or disparity not in floors.columns:
        return float("nan")
    return float(floors.loc[setting, disparity])


def ablation_runs(table: pd.DataFrame, floors: pd.DataFrame,
                  disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """One row per run (``fairgap.claims.sweep_rules.per_run``) with its setting's Bayes floor (``floor``)."""
    runs = per_run(table, disparity)
    return runs.assign(floor=[_floor(floors, s, disparity) for s in runs.setting])


def settings_of(runs: pd.DataFrame) -> list[str]:
    """The settings of ``runs`` in order of appearance."""
    return list(dict.fromkeys(runs.setting))


def _erm(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs.method == "erm"]


def by_seed(runs: pd.DataFrame, setting: str, column: str, label: str | None = None) -> pd.Series:
    """Per seed: ``column`` of ``label``'s runs (None: ERM's) in ``setting``."""
    mine = runs[runs.setting == setting]
    mine = _erm(mine) if label is None else mine[mine.label == label]
    return mine.groupby("seed")[column].mean()


def benefit(runs: pd.DataFrame, setting: str, label: str) -> pd.Series:
    """Per seed: ERM's held-out disparity minus ``label``'s, both in ``setting``: what the constraint buys there
    (``fairgap.claims.sweep_rules.benefit`` along the ``setting`` column)."""
    return shared_benefit(runs, label, "setting", setting)


def ablation_summary(table: pd.DataFrame, floors: pd.DataFrame,
                     disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per setting and method: seeds, train accuracy, held-out disparity, the train–held-out gap, the setting's Bayes
    floor and, for the constrained methods, the held-out benefit over ERM (means with 95% Student-t intervals)."""
    runs = ablation_runs(table, floors, disparity)
    held = held_out_of(table)
    constrained = constrained_labels(runs)
    rows = []
    for setting in settings_of(runs):
        for label in dict.fromkeys(runs.label[runs.setting == setting]):
            mine = runs[(runs.setting == setting) & (runs.label == label)]
            rows.append({"setting": setting, "method": label, "seeds": mine.seed.nunique(),
                         "train accuracy": mine.train_accuracy.mean(),
                         f"{held} accuracy": mine.held_out_accuracy.mean(),
                         f"{held} disparity": fmt_mean(mine.held_out, 3),
                         "Bayes floor": _floor(floors, setting, disparity),
                         f"gap ({held} − train)": fmt_mean(mine.gap, 3),
                         f"{held} benefit over ERM": fmt_mean(benefit(runs, setting, label), 3)
                         if label in constrained else ""})
    return pd.DataFrame(rows).set_index(["setting", "method"])


def finding_texts(held: str, label: str | None = None) -> dict[str, str]:
    """The findings whose survival ``survival_table`` shows, by key: their claim texts after "<setting>: "."""
    texts = {"gap": f"ERM's train–{held} gap > 0",
             "floor": f"ERM's {held} disparity − Bayes floor > {FLOOR_MARGIN:g}"}
    if label is not None:
        texts["benefit"] = f"{label} buys {held} fairness over ERM (benefit > 0)"
        texts["penalty_gap"] = f"{label}'s train–{held} gap > {FLOOR_MARGIN:g}"
    return texts


def change_texts(held: str, label: str | None = None) -> dict[str, str]:
    """The claims of an equalised setting against the baseline, by key: their texts after
    "<setting> vs <baseline>: "."""
    texts = {"erm": f"ERM's {held} disparity lower", "erm_gap": f"ERM's train–{held} gap lower"}
    if label is not None:
        texts.update({"gap": f"{label}'s train–{held} gap lower",
                      "benefit": f"{label}'s {held} benefit over ERM smaller"})
    return texts


def ablation_claims(table: pd.DataFrame, floors: pd.DataFrame, disparity: str = "equalized_odds_difference",
                    baseline: str = BASELINE) -> pd.DataFrame:
    """Notebook 09's claims (all exploratory): per setting, the findings of ``finding_texts``; per other setting
    against ``baseline`` (when the runs have it), the changes of ``change_texts``; all paired by seed."""
    runs = ablation_runs(table, floors, disparity)
    held, name = held_out_of(table), disparity.replace("_", " ")
    labels = constrained_labels(runs)
    claims = []
    for setting in settings_of(runs):
        found = finding_texts(held)
        claims.append(claim(f"{setting}: {found['gap']}", f"ERM's {name} ({held} − train), per seed",
                            by_seed(runs, setting, "gap")))
        for label in labels:
            claims.append(claim(f"{setting}: {finding_texts(held, label)['benefit']}",
                                f"ERM's {held} {name} − {label}'s, paired by seed", benefit(runs, setting, label)))
            # the paper's finding itself: the constraint, met on the training set, does not hold on new data
            claims.append(claim(f"{setting}: {finding_texts(held, label)['penalty_gap']}",
                                f"{label}'s {name} ({held} − train), per seed", by_seed(runs, setting, "gap", label),
                                null=FLOOR_MARGIN))
        floor = _floor(floors, setting, disparity)
        statistic = f"ERM's {held} {name} − the setting's Bayes floor ({floor:.3f}), per seed"
        if np.isnan(floor):
            claims.append(untestable(f"{setting}: {found['floor']} (no Bayes floor for {name}: not testable)",
                                     statistic, null=FLOOR_MARGIN))
        else:
            claims.append(claim(f"{setting}: {found['floor']}", statistic, by_seed(runs, setting, "held_out") - floor,
                                null=FLOOR_MARGIN))
    if baseline in settings_of(runs):
        for setting in settings_of(runs):
            if setting == baseline:
                continue
            prefix, change = f"{setting} vs {baseline}", change_texts(held)

            def versus(column, label=None):
                return seed_difference(by_seed(runs, setting, column, label), by_seed(runs, baseline, column, label))

            claims.append(claim(f"{prefix}: {change['erm']}",
                                f"ERM's {held} {name} here − in {baseline}, paired by seed", versus("held_out"), "<"))
            claims.append(claim(f"{prefix}: {change['erm_gap']}",
                                f"ERM's {name} gap ({held} − train) here − in {baseline}, paired by seed",
                                versus("gap"), "<"))
            for label in labels:
                change = change_texts(held, label)
                claims.append(claim(f"{prefix}: {change['gap']}",
                                    f"{label}'s {name} gap ({held} − train) here − in {baseline}, paired by seed",
                                    versus("gap", label), "<"))
                claims.append(claim(f"{prefix}: {change['benefit']}",
                                    f"(ERM's − {label}'s {held} {name}) here − in {baseline}, paired by seed",
                                    seed_difference(benefit(runs, setting, label), benefit(runs, baseline, label)),
                                    "<"))
    return claims_table(claims)


def survival_table(claims: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Which findings survive which equalised difference: rows the settings, columns the findings of
    ``finding_texts`` (one benefit column per constrained method), cells the verdicts of ``claims``."""
    held = held_out_of(table)
    settings = list(dict.fromkeys(table.setting))
    labels = constrained_labels(table.drop_duplicates("run"))
    columns = {finding_texts(held)["gap"]: finding_texts(held)["gap"]}
    for label in labels:
        texts = finding_texts(held, label)
        columns.update({texts["penalty_gap"]: texts["penalty_gap"], texts["benefit"]: texts["benefit"]})
    columns[finding_texts(held)["floor"]] = finding_texts(held)["floor"]
    verdicts = {}
    for setting in settings:
        verdicts[setting] = {column: find(claims, f"{setting}: {text}").verdict for column, text in columns.items()}
    frame = pd.DataFrame(verdicts).T[list(columns)]
    frame.index.name = "setting"
    return frame


def _equalises(setting: str, options: dict | None = None) -> str:
    """How the prose names what ``setting`` equalises."""
    if setting == "all equalised":
        return "every difference at once"
    options = SETTINGS.get(setting, {}) if options is None else options
    return " and ".join(KNOBS.get(k, k) for k in options) or setting


def ablation_prose(table: pd.DataFrame, floors: pd.DataFrame, claims: pd.DataFrame,
                   disparity: str = "equalized_odds_difference", baseline: str = BASELINE,
                   settings: dict[str, dict] | None = None) -> str:
    """Notebook 09's "what you see": the floors, one paragraph per setting, the changes against ``baseline``, and how
    far the finite test set sits from the population; every number and verdict from ``table`` and ``claims``."""
    runs = ablation_runs(table, floors, disparity)
    held, name = held_out_of(table), disparity.replace("_", " ")
    labels = constrained_labels(runs)
    settings = settings or {}
    order = settings_of(runs)
    floor_text = "; ".join(f"{s} {_floor(floors, s, disparity):.3f}" for s in order)
    lines = [f"**The Bayes floor** of the {name} (the best possible classifier's, from the generator's knobs): "
             f"{floor_text}."]
    for setting in order:
        erm = _erm(runs[runs.setting == setting])
        text = (f"**{setting}** ({seeds_text(erm.seed.nunique())}; ERM's train accuracy "
                f"{erm.train_accuracy.mean():.2f}): "
                f"ERM's {held} {name} {fmt_mean(erm.held_out)} against a floor of "
                f"{_floor(floors, setting, disparity):.3f}, its train–{held} gap {fmt_mean(erm.gap)}. "
                + said(find(claims, f"{setting}: {finding_texts(held)['floor']}"),
                       f"It is more than {FLOOR_MARGIN:g} above the floor",
                       f"That it is more than {FLOOR_MARGIN:g} above the floor is not shown") + ".")
        for label in labels:
            mine = runs[(runs.setting == setting) & (runs.label == label)]
            text += (f" {label}: {held} {name} {fmt_mean(mine.held_out)}, gap {fmt_mean(mine.gap)}; "
                     + said(find(claims, f"{setting}: {finding_texts(held, label)['benefit']}"),
                            f"it buys {held} fairness over ERM", f"that it buys {held} fairness over ERM is not shown")
                     + ".")
        lines.append(text)
    if baseline in order:
        for setting in order:
            if setting == baseline:
                continue
            what = _equalises(setting, settings.get(setting))
            prefix, change = f"{setting} vs {baseline}", change_texts(held)
            text = (f"**Equalising {what}** ({setting} against {baseline}, paired by seed): "
                    + said(find(claims, f"{prefix}: {change['erm']}"), f"it lowers ERM's {held} {name}",
                           f"that it lowers ERM's {held} {name} is not shown")
                    + "; " + said(find(claims, f"{prefix}: {change['erm_gap']}"),
                                  f"it narrows ERM's train–{held} gap",
                                  f"that it narrows ERM's train–{held} gap is not shown"))
            for label in labels:
                change = change_texts(held, label)
                text += ("; " + said(find(claims, f"{prefix}: {change['gap']}"), f"it narrows {label}'s gap",
                                     f"that it narrows {label}'s gap is not shown")
                         + "; " + said(find(claims, f"{prefix}: {change['benefit']}"),
                                       f"it shrinks what {label} buys over ERM",
                                       f"that it shrinks what {label} buys over ERM is not shown"))
            lines.append(text + ".")
        shown = [s for s in order if s != baseline
                 and find(claims, f"{s} vs {baseline}: {change_texts(held)['erm']}").verdict == SHOWN]
        listed = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + (shown[-1] if shown else "")
        lines.append(f"Of the equalised settings, {listed} lower{'s' if len(shown) == 1 else ''} ERM's {held} {name} "
                     f"below the {baseline}'s on these seeds." if shown else
                     f"Of the equalised settings, none is shown to lower ERM's {held} {name} below the {baseline}'s "
                     "on these seeds.")
    lines.append(finite_test_paragraph(table, disparity))
    return "\n\n".join(lines)

