"""Notebook 07's claims: does each remedy lower the test disparity of the constrained method, and at what
test accuracy; does post-processing lower ERM's? Every comparison is paired by seed (the remedy and the
run it is compared with share the seed, hence the data split and the initialisation).
"""

from __future__ import annotations

import pandas as pd

from ..evidence import SHOWN, claim, claims_table, fmt, fmt_claim, paired
from ..remedies import POSTPROCESSED
from ..metrics import check_disparity
from ..sweep import final_metric, train_test_gap

CONSTRAINED, REFERENCE = "constrained", "ERM"


def per_run(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """One row per run (label, seed): train and test ``disparity``, their gap, and test accuracy."""
    check_disparity(disparity)
    runs = train_test_gap(table, disparity)
    accuracy = final_metric(table, "accuracy")
    accuracy = accuracy[accuracy.split == "test"].set_index("run").value.rename("accuracy")
    return runs.join(accuracy, on="run")[["label", "seed", "train", "test", "gap", "accuracy"]]


def _versus(runs: pd.DataFrame, label: str, other: str, disparity: str) -> list:
    """Two claims: ``label`` lowers the test disparity of ``other``, and costs it test accuracy."""
    name = disparity.replace("_", " ")
    return [claim(f"{label}: lower test disparity than {other}", f"test {name}: {label} − {other} (same seed)",
                  paired(runs, "label", label, other, value="test"), direction="<"),
            claim(f"{label}: lower test accuracy than {other}", f"test accuracy: {label} − {other} (same seed)",
                  paired(runs, "label", label, other, value="accuracy"), direction="<")]


def remedy_claims(table: pd.DataFrame, disparity: str = "equalized_odds_difference") -> pd.DataFrame:
    """The claims table of notebook 07, from ``compare_remedies``' table:

    * the constrained method's and ERM's test − train disparity > 0 (the gap the remedies address);
    * each remedy's test disparity − the constrained method's < 0, and its test accuracy − the
      constrained method's < 0 (the accuracy it costs), paired by seed;
    * post-processing's test disparity and test accuracy − ERM's < 0 (it is fitted on ERM's scores).
    """
    runs = per_run(table, disparity)
    labels = list(dict.fromkeys(runs.label))
    for needed in (CONSTRAINED, REFERENCE):
        if needed not in labels:
            raise ValueError(f"The remedies table has no {needed!r} runs (labels: {', '.join(labels)}); "
                             "pass the table compare_remedies returns.")
    name = disparity.replace("_", " ")
    claims = [claim(f"{label}: test disparity above train disparity", f"{name}: test − train (same run)",
                    runs[runs.label == label].gap) for label in (CONSTRAINED, REFERENCE)]
    for label in labels:
        if label not in (CONSTRAINED, REFERENCE):
            claims += _versus(runs, label, CONSTRAINED, disparity)
    if POSTPROCESSED in labels:
        claims += _versus(runs, POSTPROCESSED, REFERENCE, disparity)
    return claims_table(claims)


def _names(rows: pd.DataFrame) -> str:
    """'a 0.05 [...] (n = 5, shown); b ...' for the rows of a claims table, or 'none'."""
    if rows.empty:
        return "none"
    return "; ".join(f"{row.claim.split(':')[0]} {fmt_claim(row)}" for _, row in rows.iterrows())


def findings(claims: pd.DataFrame, summary: pd.DataFrame, disparity: str = "equalized_odds_difference") -> str:
    """'What you see' in notebook 07, every number from the claims table and ``remedy_summary``."""
    c = claims.set_index("claim")
    x = f"test {disparity}"
    s = summary.reset_index().set_index("label") if "label" in summary.reset_index().columns else summary
    plain = s.loc[CONSTRAINED]
    gap = c.loc[f"{CONSTRAINED}: test disparity above train disparity"]
    verdict = ("so the constraint does not carry over to test data" if gap.verdict == SHOWN else
               "but over these seeds the interval does not exclude 0, so the gap is not shown")
    lines = [f"* **The plain constrained run** reaches a train disparity of {fmt(plain[f'train {disparity}'])} "
             f"and a test disparity of {fmt(plain[x], plain[f'{x} ci_low'], plain[f'{x} ci_high'])}; "
             f"test − train is {fmt_claim(gap)}, {verdict}."]
    lower = claims[claims.claim.str.endswith(f"lower test disparity than {CONSTRAINED}")]
    shown = lower[lower.verdict == SHOWN]
    lines.append(f"* **Lower test disparity than the constrained run** (paired by seed; remedy − constrained): "
                 f"shown for {_names(shown)}. Not shown (the interval is not entirely below 0, or there is one "
                 f"seed) for {_names(lower[lower.verdict != SHOWN])}.")
    cost = claims[claims.claim.str.endswith(f"lower test accuracy than {CONSTRAINED}")]
    lines.append(f"* **Test accuracy they cost** (remedy − constrained): a loss is shown for "
                 f"{_names(cost[cost.verdict == SHOWN])}; not shown for {_names(cost[cost.verdict != SHOWN])}.")
    if f"{POSTPROCESSED}: lower test disparity than {REFERENCE}" in c.index:
        d = c.loc[f"{POSTPROCESSED}: lower test disparity than {REFERENCE}"]
        a = c.loc[f"{POSTPROCESSED}: lower test accuracy than {REFERENCE}"]
        lines.append(f"* **Post-processing against the ERM model it is fitted on**: test disparity change "
                     f"{fmt_claim(d)}, test accuracy change {fmt_claim(a)}.")
    front = list(s.index[s.pareto])
    reach = list(s.index[~s.pareto & s["reaches front"]])
    lines.append(f"* **Pareto front of the means**: {', '.join(front)}. Off the front but with intervals that "
                 f"reach it (the seeds cannot rule them onto or off it): {', '.join(reach) or 'none'}.")
    return "\n".join(lines)
