"""Evidence: intervals over seeds that stay in range, and the claims table every notebook ends with.

Intervals are **percentile bootstrap** intervals of the mean over runs (seeds, or random splits):
resample the n values with replacement, take the mean of each resample, and report the 2.5th and
97.5th percentiles of those means. Every resampled mean is a mean of observed values, so the interval
cannot leave the range the metric lives in (a rate stays in [0, 1], a difference of rates in
[-1, 1]); a Student-t interval can. With few runs a percentile bootstrap is somewhat narrow (it
under-covers at n = 3-5), which is why every figure and claim states its n.

A **claim** is a sentence about the results, a statistic (what is averaged over runs), its estimate
(the mean), the 95% bootstrap interval, n, and a verdict: "shown" when the interval excludes the null
value in the claimed direction, else "not shown". Paired claims (a difference between two settings at
the same seed) bootstrap the per-seed differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
N_RESAMPLES = 10_000
CLAIM_COLUMNS = ("claim", "statistic", "estimate", "lower", "upper", "n", "verdict")
SHOWN, NOT_SHOWN = "shown", "not shown"


def bootstrap_interval(values, confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES,
                       seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaNs dropped).

    Deterministic (fixed resampling seed), so a re-run draws the same band. One value gives a
    zero-width interval at that value; no values give (nan, nan).
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    if len(values) == 1 or np.all(values == values[0]):
        return float(values[0]), float(values[0])
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_resamples, len(values)))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def mean_and_interval(values) -> tuple[float, float, float, int]:
    """The mean of ``values`` (NaNs dropped), its 95% bootstrap interval and the number of values;
    NaNs and 0 when there are none."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan"), float("nan"), 0
    return (float(values.mean()), *bootstrap_interval(values), len(values))


def mean_interval(frame: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """Per cell of ``by``: mean, 95% bootstrap interval (ci_low, ci_high) and n of ``value``."""
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


@dataclass
class Claim:
    claim: str
    statistic: str
    estimate: float
    lower: float
    upper: float
    n: int
    verdict: str

    def as_row(self) -> dict:
        return {c: getattr(self, c) for c in CLAIM_COLUMNS}


def claim(claim: str, statistic: str, values, direction: str = ">", null: float = 0.0) -> Claim:
    """A claim that the mean of ``values`` is above (``">"``) or below (``"<"``) ``null``.

    Shown when the whole 95% bootstrap interval lies on the claimed side of ``null``.
    """
    if direction not in (">", "<"):
        raise ValueError(f"direction must be '>' or '<', got {direction!r}.")
    estimate, low, high, n = mean_and_interval(values)
    shown = n > 1 and (low > null if direction == ">" else high < null)
    return Claim(claim, statistic, estimate, low, high, n, SHOWN if shown else NOT_SHOWN)


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
    """The claims as a table with the columns ``CLAIM_COLUMNS``."""
    return pd.DataFrame([c.as_row() for c in claims], columns=list(CLAIM_COLUMNS))


def save_claims(table: pd.DataFrame, notebook: str, profile: str = "default"):
    """Write ``<figures dir>/<notebook>/claims.csv`` (where the notebook's figures go); returns the path."""
    from .paths import figures_dir
    from .io import write_csv

    missing = [c for c in CLAIM_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"A claims table needs the columns {', '.join(CLAIM_COLUMNS)}; missing: {', '.join(missing)}.")
    path = figures_dir(profile) / notebook / "claims.csv"
    write_csv(path, table[list(CLAIM_COLUMNS)])
    return path


def fmt(estimate: float, lower: float | None = None, upper: float | None = None, digits: int = 2) -> str:
    """'0.31 [0.22, 0.40]' (estimate and 95% interval), or just the estimate."""
    if estimate is None or (isinstance(estimate, float) and np.isnan(estimate)):
        return "n/a"
    text = f"{estimate:.{digits}f}"
    if lower is not None and upper is not None:
        text += f" [{lower:.{digits}f}, {upper:.{digits}f}]"
    return text


def fmt_mean(values, digits: int = 2) -> str:
    """The mean of ``values`` (NaNs dropped) and its 95% bootstrap interval: '0.31 [0.22, 0.40]', or 'n/a'."""
    mean, low, high, n = mean_and_interval(values)
    return fmt(mean, low, high, digits=digits) if n else "n/a"


def fmt_claim(row) -> str:
    """A claims-table row as 'estimate [lower, upper] (n = N, shown)'."""
    return f"{fmt(row['estimate'], row['lower'], row['upper'])} (n = {int(row['n'])}, {row['verdict']})"


def markdown(text: str):
    """Render prose built from results as Markdown in a notebook (plain text outside one)."""
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover - IPython is a dependency
        return text
    return Markdown(text)


def claims_markdown(table: pd.DataFrame):
    """The claims table as a Markdown table (for the end of a notebook)."""
    lines = ["| claim | statistic | estimate [95% CI] | n | verdict |", "|---|---|---|---|---|"]
    for _, row in table.iterrows():
        verdict = f"**{row['verdict']}**" if row["verdict"] == SHOWN else row["verdict"]
        lines.append(f"| {row['claim']} | {row['statistic']} | {fmt(row['estimate'], row['lower'], row['upper'])} "
                     f"| {int(row['n'])} | {verdict} |")
    return markdown("\n".join(lines))
