"""Claims of notebook 01 (fairness overfits): per method, the train-test disparity gap at the last epoch,
paired over seeds, and collapse; and how much of a per-group rate is test-set sampling rather than seeds.

The band over seeds in F1 covers the training randomness only: every seed is evaluated on the same test
set, so test-set sampling (which examples happen to be in it) is not in the band. ``sampling_halfwidths``
gives its size: the half-width of a 95% interval of each group's TPR and FPR on that test set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..evidence import LITTLE, claim, claims_table, rate_halfwidth, seed_difference, t_interval
from ..sweep import final_metric
from .sweeps import INTERPOLATING, find, per_run, said, seeds_text


REFERENCE = "ERM"


def overfitting_claims(history: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per method (in the order of ``history``): test − train disparity > 0 at the last epoch (one value
    per seed), and the share of seeds whose final model collapsed to a constant predictor on test; per
    method other than ERM, paired by seed: its test disparity − ERM's > −``LITTLE`` (it buys little test
    fairness) and < 0 (it buys some)."""
    runs = per_run(history, disparity)
    name = disparity.replace("_", " ")
    erm = runs[runs.method == REFERENCE].set_index("seed").test if REFERENCE in set(runs.method) else None
    claims = []
    for method in history.method.unique():
        mine = runs[runs.method == method]
        claims.append(claim(f"{method}: test − train disparity > 0 at the last epoch",
                            f"{name}, test − train, per seed", mine.set_index("seed").gap))
        claims.append(claim(f"{method}: collapses to a constant predictor",
                            "share of seeds whose final model predicts one class on test", mine.set_index("seed").collapsed))
        if erm is not None and method != REFERENCE:
            change = seed_difference(mine.set_index("seed").test, erm)
            claims.append(claim(f"{method}: test disparity − {REFERENCE}'s > −{LITTLE} at the last epoch",
                                f"test {name}: {method} − {REFERENCE} (same seed); above −{LITTLE} means the method "
                                f"buys less than {LITTLE} of test fairness", change, ">", -LITTLE))
            claims.append(claim(f"{method}: lower test disparity than {REFERENCE} at the last epoch",
                                f"test {name}: {method} − {REFERENCE} (same seed)", change, "<"))
    return claims_table(claims)


def sampling_halfwidths(results: dict) -> pd.DataFrame:
    """Per group of the test split: examples, positives, negatives, and the 95% half-width that test-set
    sampling alone puts on its TPR and FPR (at a rate of 0.5, the largest). ``results``: RunResults
    of one dataset (the first one's test split is read)."""
    first = next(iter(results.values()))
    target, group = first.scores["test"]["target"], first.scores["test"]["group"]
    rows = []
    for code, label in enumerate(first.info["group_labels"]):
        mine = target[group == code]
        positives, negatives = int((mine == 1).sum()), int((mine == 0).sum())
        rows.append({"group": label, "examples": len(mine), "positives": positives, "negatives": negatives,
                     "TPR ±": rate_halfwidth(positives), "FPR ±": rate_halfwidth(negatives)})
    return pd.DataFrame(rows).set_index("group")


def seed_spread(history: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """Per method: mean test disparity at the last epoch, its standard deviation over seeds, and the
    half-width of its 95% t-interval (what the F1 band shows at the last epoch)."""
    test = final_metric(history, disparity)
    test = test[test.split == "test"]
    rows = []
    for method, values in test.groupby("method", sort=False).value:
        low, high = t_interval(values)
        rows.append({"method": method, "seeds": len(values), f"test {disparity}": values.mean(),
                     "sd over seeds": values.std(ddof=1) if len(values) > 1 else np.nan,
                     "interval half-width": (high - low) / 2})
    return pd.DataFrame(rows).set_index("method")


def sampling_prose(sampling: pd.DataFrame, spread: pd.DataFrame) -> str:
    """How test-set sampling compares with the spread over seeds, and what the band covers."""
    groups = "; ".join(f"{g}: {int(r.positives)} positives (TPR ± {r['TPR ±']:.3f}), {int(r.negatives)} "
                       f"negatives (FPR ± {r['FPR ±']:.3f})" for g, r in sampling.iterrows())
    difference = float(np.sqrt((sampling[["TPR ±", "FPR ±"]].max(axis=1) ** 2).sum()))
    sd = spread["sd over seeds"]
    seeds = (f"the standard deviation of the final test disparity over seeds ranges from {sd.min():.3f} to {sd.max():.3f} "
             f"across methods (n = {int(spread.seeds.min())} seeds)" if sd.notna().any()
             else f"with n = {int(spread.seeds.max())} seed there is no spread over seeds to compare")
    return (f"**What the band covers.** The band in F1 is over seeds only: every seed is evaluated on the same test "
            f"set. Test-set sampling alone moves each group's rates by up to (95%, at a rate of 0.5) {groups}; a "
            f"difference of two groups' rates by up to about ± {difference:.3f}. By comparison, {seeds}.")


def overfitting_prose(history: pd.DataFrame, claims: pd.DataFrame, disparity: str = "equalized_odds_difference") -> str:
    """Notebook 01's "what you see", one line per method, every number from ``history`` and ``claims``."""
    runs = per_run(history, disparity)
    lines = []
    for method in history.method.unique():
        mine = runs[runs.method == method]
        fits = mine.train_accuracy.mean() >= INTERPOLATING
        collapsed = int(mine.collapsed.sum())
        lines.append(
            f"* **{method}** ({seeds_text(mine.seed.nunique())}): train accuracy {mine.train_accuracy.mean():.2f} "
            f"({'fits' if fits else 'does not fit'} its training set), train disparity {mine.train.mean():.2f}, "
            f"test disparity {mine.test.mean():.2f}. "
            + said(find(claims, f"{method}: test − train"), "Test disparity is above train disparity",
                   "Test disparity above train disparity is not shown")
            + (f"; {collapsed} of {len(mine)} seeds collapsed to a constant predictor (trivially 'fair')"
               if collapsed else "; no seed collapsed")
            + (versus_reference(claims, method) if method != REFERENCE else "") + ".")
    return "\n".join(lines)


def versus_reference(claims: pd.DataFrame, method: str) -> str:
    """Against ERM at the same seeds: does the method buy little test fairness, does it buy any."""
    rows = claims[claims.claim.str.startswith(f"{method}: test disparity − {REFERENCE}'s")]
    if rows.empty:
        return ""
    little, some = rows.iloc[0], find(claims, f"{method}: lower test disparity than {REFERENCE}")
    kind = " (primary claim)" if little.get("kind") == "primary" else ""
    return ("; against ERM at the same seeds, " +
            said(little, f"it buys less than {LITTLE} of test fairness{kind}",
                 f"that it buys less than {LITTLE} of test fairness is not shown{kind}") + ", and " +
            said(some, "its test disparity is measurably lower", "a lower test disparity is not shown"))
