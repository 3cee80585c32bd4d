"""Evidence: intervals over seeds (or splits) that cover at the n we run, claims, and their verdicts.

**Interval.** Every interval in the collection, in the figures and in the claims tables, is the
two-sided 95% **Student-t interval of the mean** of the per-unit values (one value per seed, or per
random split; a paired claim's values are the per-seed differences): mean ± t(0.975, n−1) · s/√n.
It is not clipped: a disparity near 0 can have a lower end below 0 (it says the seeds cannot tell the
mean from 0, which is the point).

Chosen by simulation, not by taste (``tests/test_evidence.py`` repeats it, 20,000 samples per cell):

=================================  ========  ========  ========
coverage of the true mean            n = 3     n = 5    n = 10
=================================  ========  ========  ========
Student-t, normal data                 95.2%     95.2%     95.2%
Student-t, Beta(2, 5) (skew 0.60)      93.7%     93.3%     94.2%
Student-t, Beta(1, 8) (skew 1.5)       89.6%     90.1%     91.6%
percentile bootstrap, normal data      ~75%      ~84%      ~90%
=================================  ========  ========  ========

The percentile bootstrap this module used before is [min, max] at n = 3 (10 distinct resample
means), so its "shown" meant "all seeds agree in sign": a one-sided false positive rate of 12.5% at
n = 3 and 8% at n = 5. An exact sign-flip test cannot reach p < 0.025 below n = 6 (its smallest
one-sided p is 2^-n), so it cannot serve the 3-5 seed exploratory claims. The t-interval covers at
every n we run on symmetric data; on skewed data it misses mostly on one side (the long tail's
side): for Beta(2, 5) the upper end falls below the mean 4.6-5.2% of the time, so a "<" claim on
such data is falsely shown at about twice the nominal 2.5%. Per-seed differences of disparities are
close to symmetric; the per-seed values are saved beside every claims table to check.

**Claim.** A sentence, the statistic averaged over units, a direction (``>`` or ``<``) and a null
value, the estimate (the mean), the 95% t-interval, n, the one-sided t-test p-value against the null
in the claimed direction, a ``kind`` and a verdict:

* **exploratory** claims are "shown" when p < 0.025, i.e. when the 95% interval lies entirely on the
  claimed side of the null. With 3-5 seeds this is a description of these runs, not a finding: it
  does not adjust for the many claims a notebook makes.
* **primary** claims are few (at most three per notebook), declared before anything runs
  (``fairgap.claims.primary``), rest on at least 10 seeds or splits in the default profile, and are
  "shown" only when their **Holm-adjusted** p-value over all the collection's primary claims of their
  family (one per data source: the generated data, Adult) is below 0.025 (``adjust_collection``). A
  declared primary claim whose notebook has not run yet counts with p = 1, which can only raise the
  others' adjusted p-values (Holm is monotone).

A verdict of "not shown" means the data at this n cannot exclude the null; it is not evidence for the
null. A claim of "at most δ" (non-superiority) puts δ in ``null`` with direction ``<``. An equivalence
claim ("within ±δ") has direction ``within`` and δ in ``null``: two one-sided tests, p the larger of the
two, shown when the 95% interval lies inside (−δ, δ).

**Power.** Every claim also carries ``mde``, the smallest true distance from its null (on the claimed
side) that its n detects with 80% power given the spread of its own per-unit values, and ``n_needed``,
the units (seeds or splits) that 80% power needs against a true value ``EFFECT`` (0.05) beyond the null
(for ``within``: a true value of 0 against the margin). Both follow the one-sided t-test at α = 0.025
(noncentral t). A claim with ``n < n_needed`` is underpowered: "not shown" there says little.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
ALPHA = (1 - CONFIDENCE) / 2  # one-sided level of a "shown" verdict: the 95% interval excludes the null
CLAIM_COLUMNS = ("claim", "kind", "statistic", "direction", "null", "estimate", "lower", "upper", "n",
                 "p_value", "p_adjusted", "verdict", "mde", "n_needed")
DIRECTIONS = (">", "<", "within")
VALUE_COLUMNS = ("claim", "unit", "value")
SHOWN, NOT_SHOWN = "shown", "not shown"
PRIMARY, EXPLORATORY = "primary", "exploratory"
INTERVAL_NAME = "95% Student-t interval"
# "Little" test fairness: a constraint that lowers a disparity by less than this (0.05, on a 0-1 scale)
# bought little. Claims of the form "method − ERM > −LITTLE" could fail: a real effect refutes them.
LITTLE = 0.05
# The effect a claim's ``n_needed`` is sized for: a true value this far beyond its null (0.05 on a 0-1 scale).
EFFECT = LITTLE
POWER = 0.8
MAX_UNITS = 1000


def _clean(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[~np.isnan(values)]


def t_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided Student-t interval of the mean of ``values`` (NaNs dropped): mean ± t·s/√n.

    Fewer than two values give (nan, nan): one run says nothing about the spread over runs. Equal
    values give a zero-width interval. Usable as a seaborn ``errorbar`` (a callable of the values).
    """
    from scipy.stats import t

    values = _clean(values)
    n = len(values)
    if n < 2:
        return float("nan"), float("nan")
    mean, half = values.mean(), t.ppf((1 + confidence) / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return float(mean - half), float(mean + half)


def one_sided_p(values, direction: str = ">", null: float = 0.0) -> float:
    """One-sided one-sample t-test p-value that the mean of ``values`` is above (``">"``) or below
    (``"<"``) ``null``; nan with fewer than two values, or when they are all equal (no spread to test
    against: two runs that both collapsed to the same constant say nothing about the next one)."""
    from scipy.stats import t

    check_direction(direction)
    if direction == "within":  # two one-sided tests: above −δ and below +δ; p is the larger
        return max(one_sided_p(values, ">", -abs(null)), one_sided_p(values, "<", abs(null)))
    values = _clean(values)
    n = len(values)
    if n < 2:
        return float("nan")
    sign = 1.0 if direction == ">" else -1.0
    shift, sd = sign * (values.mean() - null), values.std(ddof=1)
    if sd == 0:
        return float("nan")
    return float(t.sf(shift / (sd / np.sqrt(n)), n - 1))


def check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be '>', '<' or 'within' (an equivalence margin ±null), got {direction!r}.")


def power(sd: float, n: int, effect: float = EFFECT, direction: str = ">") -> float:
    """Power of the one-sided t-test at level ``ALPHA`` with ``n`` units of spread ``sd`` when the true mean
    lies ``effect`` beyond the null on the claimed side (noncentral t). ``within`` (two one-sided tests
    at a margin ``effect``, true mean 0): 1 − the two tests' miss probabilities, at least 0."""
    from scipy.stats import nct, t

    if n < 2 or not sd > 0:
        return float("nan")
    critical, noncentrality = t.ppf(1 - ALPHA, n - 1), effect * np.sqrt(n) / sd
    one = float(nct.sf(critical, n - 1, noncentrality))
    if not np.isfinite(one):  # far out in the noncentral t's tail, where scipy gives up: the test cannot miss
        one = 1.0 if noncentrality > critical else 0.0
    return max(0.0, 1 - 2 * (1 - one)) if direction == "within" else one


def seeds_needed(sd: float, effect: float = EFFECT, direction: str = ">", target: float = POWER) -> int:
    """The fewest units (seeds or splits) whose ``power`` reaches ``target``; ``MAX_UNITS`` + 1 when none up to
    ``MAX_UNITS`` does; 0 when there is no spread to size it on (``sd`` 0 or unknown)."""
    if not sd > 1e-12:
        return 0
    low, high = 2, MAX_UNITS
    if power(sd, high, effect, direction) < target:
        return MAX_UNITS + 1
    while low < high:  # power rises with n: bisect
        middle = (low + high) // 2
        low, high = (middle + 1, high) if power(sd, middle, effect, direction) < target else (low, middle)
    return low


def detectable_effect(sd: float, n: int, direction: str = ">", target: float = POWER) -> float:
    """The minimum detectable effect: the smallest true distance from the null that ``n`` units of spread
    ``sd`` detect with power ``target`` (nan below two units or without spread)."""
    from scipy.optimize import brentq

    if n < 2 or not sd > 1e-12:  # no spread (equal values up to rounding): nothing to size on
        return float("nan")
    return float(brentq(lambda effect: power(sd, n, effect, direction) - target, 1e-12 * sd, 1000 * sd))


def mean_and_interval(values) -> tuple[float, float, float, int]:
    """The mean of ``values`` (NaNs dropped), its 95% t-interval and the number of values;
    NaNs and 0 when there are none."""
    values = _clean(values)
    if not len(values):
        return float("nan"), float("nan"), float("nan"), 0
    return (float(values.mean()), *t_interval(values), len(values))


def mean_interval(frame: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """Per cell of ``by``: mean, 95% t-interval (ci_low, ci_high) and n of ``value``."""
    rows = []
    for keys, part in frame.groupby(by, dropna=False)[value]:
        keys = keys if isinstance(keys, tuple) else (keys,)
        mean, low, high, n = mean_and_interval(part.to_numpy())
        rows.append({**dict(zip(by, keys)), "mean": mean, "n": n, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=[*by, "mean", "n", "ci_low", "ci_high"])


def rate_halfwidth(n: int, rate: float = 0.5, confidence: float = CONFIDENCE) -> float:
    """Half-width of a normal-approximation interval of a rate estimated on ``n`` examples:
    z · sqrt(rate (1 − rate) / n). How much test-set sampling alone moves a per-group TPR, FPR or
    accuracy (at most, with rate = 0.5); compare it with the spread over seeds."""
    from scipy.stats import norm

    if n <= 0:
        return float("nan")
    return float(norm.ppf((1 + confidence) / 2) * np.sqrt(rate * (1 - rate) / n))


def group_rate_halfwidths(positives: int, negatives: int, base_rate: float, tpr: float, fpr: float,
                          confidence: float = CONFIDENCE) -> dict[str, float]:
    """95% half-widths that sampling gives one group's TPR, FPR and accuracy, measured on ``positives``
    and ``negatives`` examples at these rates; ``base_rate`` is the group's share of positives in the
    distribution measured (weighted: it need not be the sample's).

    Agresti-Coull: each rate r measured on n examples is read as r̃ = (r n + z²/2) / (n + z²) on n + z²
    examples, so that a rate of 0 or 1 (a collapsed model) is not taken as exact, and the half-width is
    the farther end of r̃ ± z·sqrt(v) from r (v = r̃(1 − r̃)/(n + z²)). Accuracy = π TPR + (1 − π)(1 − FPR),
    so its half-width is z · sqrt(π² v(TPR) + (1 − π)² v(FPR)) plus the same shift of its centre.
    """
    from scipy.stats import norm

    if positives <= 0 or negatives <= 0:
        return {"tpr": float("nan"), "fpr": float("nan"), "accuracy": float("nan")}
    z = norm.ppf((1 + confidence) / 2)

    def adjusted(rate, n):
        centre = (rate * n + z * z / 2) / (n + z * z)
        return centre - rate, centre * (1 - centre) / (n + z * z)

    (shift_tpr, v_tpr), (shift_fpr, v_fpr) = adjusted(tpr, positives), adjusted(fpr, negatives)
    shift_accuracy = base_rate * shift_tpr - (1 - base_rate) * shift_fpr
    return {"tpr": float(z * np.sqrt(v_tpr) + abs(shift_tpr)), "fpr": float(z * np.sqrt(v_fpr) + abs(shift_fpr)),
            "accuracy": float(z * np.sqrt(base_rate ** 2 * v_tpr + (1 - base_rate) ** 2 * v_fpr) + abs(shift_accuracy))}


@dataclass
class Claim:
    claim: str
    statistic: str
    estimate: float
    lower: float
    upper: float
    n: int
    verdict: str
    kind: str = EXPLORATORY
    direction: str = ">"
    null: float = 0.0
    p_value: float = float("nan")
    p_adjusted: float = float("nan")
    mde: float = float("nan")
    n_needed: float = float("nan")
    values: dict = field(default_factory=dict)  # unit (seed or split) -> value: what the claim rests on

    def as_row(self) -> dict:
        return {**{c: getattr(self, c) for c in CLAIM_COLUMNS}, "values": dict(self.values)}


def _units(values) -> dict:
    """``values`` (a Series indexed by seed or split, or a sequence) as {unit: value}, NaNs dropped."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=float))
    series = series.astype(float).dropna()
    return {(int(k) if isinstance(k, (int, np.integer)) else str(k)): float(v) for k, v in series.items()}


def claim(claim: str, statistic: str, values, direction: str = ">", null: float = 0.0,
          kind: str = EXPLORATORY) -> Claim:
    """A claim that the mean of ``values`` is above (``">"``) or below (``"<"``) ``null``.

    ``values``: one per seed or split (a Series indexed by seed keeps the seeds in the values file).
    Exploratory: shown when the one-sided p < 0.025 (the 95% interval is on the claimed side of the
    null). Primary: "not shown" until ``adjust_collection`` sets its Holm-adjusted p and verdict.
    """
    check_direction(direction)
    if kind not in (PRIMARY, EXPLORATORY):
        raise ValueError(f"kind must be {PRIMARY!r} or {EXPLORATORY!r}, got {kind!r}.")
    units = _units(values)
    estimate, low, high, n = mean_and_interval(list(units.values()))
    p = one_sided_p(list(units.values()), direction, null)
    shown = kind == EXPLORATORY and n > 1 and p < ALPHA
    sd = float(np.std(list(units.values()), ddof=1)) if n > 1 else float("nan")
    effect = abs(null) if direction == "within" else EFFECT
    return Claim(claim, statistic, estimate, low, high, n, SHOWN if shown else NOT_SHOWN, kind, direction,
                 float(null), p, mde=detectable_effect(sd, n, direction),
                 n_needed=float(seeds_needed(sd, effect, direction)) if n > 1 else float("nan"), values=units)


def untestable(text: str, statistic: str, direction: str = ">", null: float = 0.0, kind: str = EXPLORATORY) -> Claim:
    """A claim the data cannot test (no setting meets its rule): not shown, no estimate, p = 1."""
    return Claim(text, statistic, float("nan"), float("nan"), float("nan"), 0, NOT_SHOWN, kind, direction,
                 float(null), 1.0)


def within(claim_text: str, statistic: str, values, margin: float, kind: str = EXPLORATORY) -> Claim:
    """An equivalence claim: the mean of ``values`` lies within ±``margin`` (two one-sided tests)."""
    return claim(claim_text, statistic, values, "within", abs(margin), kind)


def paired(frame: pd.DataFrame, column: str, first, second, on: str = "seed", value: str = "value") -> pd.Series:
    """Per ``on`` (seed): ``value`` where ``column == first`` minus where ``column == second``.

    Only seeds present in both are paired; the result is indexed by seed.
    """
    a = frame[frame[column] == first].groupby(on)[value].mean()
    b = frame[frame[column] == second].groupby(on)[value].mean()
    return seed_difference(a, b).rename(f"{first} - {second}")


def seed_difference(first: pd.Series, second: pd.Series) -> pd.Series:
    """``first − second`` over the seeds present in both (each a Series indexed by seed)."""
    both = first.index.intersection(second.index)
    return first.loc[both] - second.loc[both]


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """The claims as a table: the columns ``CLAIM_COLUMNS`` and ``values`` (each claim's per-unit values)."""
    return pd.DataFrame([c.as_row() for c in claims], columns=[*CLAIM_COLUMNS, "values"])


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN counts as 1): the i-th smallest is
    max over j ≤ i of min(1, (m − j + 1) p_(j))."""
    p = np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0)
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return adjusted


def verdict_of(row) -> str:
    """A claims-table row's verdict from its numbers: exploratory by p < 0.025, primary by its
    Holm-adjusted p < 0.025; never shown with fewer than two units."""
    p = row["p_adjusted"] if row["kind"] == PRIMARY else row["p_value"]
    return SHOWN if int(row["n"]) > 1 and pd.notna(p) and p < ALPHA else NOT_SHOWN


def adjust_collection(folder, declared: dict[str, int | tuple], family=None) -> dict[str, pd.DataFrame]:
    """Holm over every primary claim of the collection: read ``<folder>/*/claims.csv``, set each primary
    claim's ``p_adjusted`` and verdict, rewrite the tables that changed, and return them by notebook.

    ``declared``: notebook -> its primary claims' families (or their number, all in one family); a notebook whose
    table is not (yet) in ``folder`` counts its declared claims with p = 1 (conservative: Holm is monotone in
    every p). ``family``: (notebook, claim text) -> the Holm family of a primary claim (None: one family).
    """
    from .io import write_csv

    tables = {path.parent.name: pd.read_csv(path) for path in sorted(Path(folder).glob("*/claims.csv"))}
    tables = {k: t for k, t in tables.items() if "kind" in t.columns}
    missing: dict = {}
    for notebook, families in declared.items():
        if notebook not in tables:
            for name in ((None,) * families if isinstance(families, int) else families):
                missing[name] = missing.get(name, 0) + 1
    tables = adjust_tables(tables, missing, family)
    for notebook, table in tables.items():
        write_csv(Path(folder) / notebook / "claims.csv", table[list(CLAIM_COLUMNS)])
    return tables


def adjust_tables(tables: dict[str, pd.DataFrame], missing: int | dict = 0, family=None) -> dict[str, pd.DataFrame]:
    """Holm over the primary claims of ``tables`` (notebook -> claims table), within each family
    (``family``: (notebook, claim text) -> its name; None: all in one), with ``missing`` more at p = 1 (a number,
    or family -> number): copies with each primary claim's ``p_adjusted`` and every verdict set from the numbers."""
    tables = {notebook: table.copy() for notebook, table in tables.items()}
    name_of = family or (lambda notebook, text: None)
    missing = missing if isinstance(missing, dict) else {None: missing}
    pooled: dict = {}
    for k, t in tables.items():
        for i in t.index[t.kind == PRIMARY]:
            pooled.setdefault(name_of(k, t.at[i, "claim"]), []).append((k, i, t.at[i, "p_value"]))
    for name in dict.fromkeys([*pooled, *missing]):
        members = pooled.get(name, [])
        adjusted = holm([p for _, _, p in members] + [1.0] * missing.get(name, 0))
        for (notebook, i, _), p in zip(members, adjusted):
            tables[notebook].at[i, "p_adjusted"] = p
    for table in tables.values():
        table["verdict"] = table.apply(verdict_of, axis=1) if len(table) else table.get("verdict")
    return tables


def values_table(table: pd.DataFrame) -> pd.DataFrame:
    """The per-unit values behind every claim of ``table`` (its ``values`` column), long: claim, unit, value."""
    rows = [{"claim": row["claim"], "unit": unit, "value": value}
            for _, row in table.iterrows() for unit, value in (row.get("values") or {}).items()]
    return pd.DataFrame(rows, columns=list(VALUE_COLUMNS))


def rebuild_claims(claims: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Recompute every row of a saved claims table from the saved per-unit values (``claims_values.csv``):
    estimate, interval, n, p-value, and the verdict from the row's ``p_adjusted``. What a reader needs
    to check a table without rerunning anything."""
    rows = []
    for _, row in claims.iterrows():
        mine = values[values.claim == row["claim"]].set_index("unit").value
        if mine.empty:
            rebuilt = untestable(row["claim"], row["statistic"], row["direction"], row["null"], row["kind"]).as_row()
            rebuilt["p_value"] = row["p_value"]
        else:
            rebuilt = claim(row["claim"], row["statistic"], mine, row["direction"], row["null"], row["kind"]).as_row()
        rebuilt["p_adjusted"] = row["p_adjusted"]
        rebuilt["verdict"] = verdict_of(rebuilt)
        rows.append(rebuilt)
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS), index=claims.index)


def save_claims(table: pd.DataFrame, notebook: str, profile: str = "default",
                declared: dict[str, int | tuple] | None = None, family=None) -> pd.DataFrame:
    """Write ``<figures dir>/<notebook>/claims.csv`` and ``claims_values.csv`` (the per-seed or per-split
    values behind every claim), then Holm-adjust the collection's primary claims (``adjust_collection``
    with ``declared`` and ``family``); returns this notebook's adjusted table (what the notebook shows)."""
    from .io import write_csv
    from .paths import figures_dir

    missing = [c for c in CLAIM_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"A claims table needs the columns {', '.join(CLAIM_COLUMNS)}; missing: {', '.join(missing)}.")
    duplicated = table.claim[table.claim.duplicated()].tolist()
    if duplicated:
        raise ValueError(f"Claims must have distinct texts (they key the values file); repeated: {duplicated}.")
    folder = figures_dir(profile)
    write_csv(folder / notebook / "claims_values.csv", values_table(table))
    write_csv(folder / notebook / "claims.csv", table[list(CLAIM_COLUMNS)])
    return adjust_collection(folder, declared or {}, family)[notebook]


def fmt(estimate: float, lower: float | None = None, upper: float | None = None, digits: int = 2) -> str:
    """'0.31 [0.22, 0.40]' (estimate and 95% interval), or just the estimate."""
    if estimate is None or (isinstance(estimate, float) and np.isnan(estimate)):
        return "n/a"
    text = f"{estimate:.{digits}f}"
    if lower is not None and upper is not None and not (np.isnan(lower) or np.isnan(upper)):
        text += f" [{lower:.{digits}f}, {upper:.{digits}f}]"
    return text


def fmt_mean(values, digits: int = 2) -> str:
    """The mean of ``values`` (NaNs dropped) and its 95% t-interval: '0.31 [0.22, 0.40]', or 'n/a'."""
    mean, low, high, n = mean_and_interval(values)
    return fmt(mean, low, high, digits=digits) if n else "n/a"


def fmt_p(p: float) -> str:
    return "n/a" if p is None or np.isnan(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def fmt_claim(row) -> str:
    """A claims-table row as 'estimate [lower, upper] (n = N, shown)'; a primary claim adds its adjusted p."""
    adjusted = f", Holm-adjusted p {fmt_p(row['p_adjusted'])}" if row.get("kind") == PRIMARY else ""
    return f"{fmt(row['estimate'], row['lower'], row['upper'])} (n = {int(row['n'])}{adjusted}, {row['verdict']})"


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-!|~$])")


def text(value) -> str:
    """A string that comes from data (a table's name, a column name, a group or label value) as Markdown that
    shows it as typed and never runs as markup: HTML's ``<``, ``>`` and ``&`` as entities, Markdown's punctuation
    (and ``$``, which starts math in Jupyter) backslash-escaped. Rendered, it reads exactly as ``str(value)``."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(str(value), quote=False))


def figure_text(value) -> str:
    """A string from data as matplotlib text: ``$`` escaped (a pair would start mathtext); nothing else is markup."""
    return str(value).replace("$", r"\$")


def markdown(text: str):
    """Render prose built from results as Markdown in a notebook (plain text outside one)."""
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover - IPython is a dependency
        return text
    return Markdown(text)


def claims_markdown(table: pd.DataFrame):
    """The claims table as a Markdown table (for the end of a notebook), primary claims first; ``MDE`` and
    ``n needed`` say what its n could detect (see the module's **Power**)."""
    lines = ["| kind | claim | statistic | null | estimate [95% CI] | n | p | Holm p | verdict | MDE | n needed |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    ordered = pd.concat([table[table.kind == PRIMARY], table[table.kind != PRIMARY]])
    for _, row in ordered.iterrows():
        verdict = f"**{row['verdict']}**" if row["verdict"] == SHOWN else row["verdict"]
        null = f"±{row['null']:g}" if row["direction"] == "within" else f"{row['direction']} {row['null']:g}"
        lines.append(f"| {row['kind']} | {text(row['claim'])} | {text(row['statistic'])} | {null} "
                     f"| {fmt(row['estimate'], row['lower'], row['upper'])} | {int(row['n'])} | {fmt_p(row['p_value'])} "
                     f"| {fmt_p(row['p_adjusted'])} | {verdict} | {fmt(row.get('mde', float('nan')))} "
                     f"| {fmt_units(row.get('n_needed', float('nan')))} |")
    return markdown("\n".join(lines))


def fmt_units(n_needed) -> str:
    """``n_needed`` as text: a count, "> 1000" beyond ``MAX_UNITS``, "n/a" without a spread to size it on."""
    if n_needed is None or pd.isna(n_needed) or n_needed <= 0:
        return "n/a"
    return f"> {MAX_UNITS}" if n_needed > MAX_UNITS else f"{int(n_needed)}"
