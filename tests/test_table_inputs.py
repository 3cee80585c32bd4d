"""A user's own table as notebooks 00 and 08 take it: small tables fitted, not refused; mistakes named, with what
to do; and every string from the table shown as text, never run as markup."""

import json

import numpy as np
import pandas as pd
import pytest

from fairgap import evidence, tabular
from fairgap.studies import f8_capacity_family as cf

SENSITIVE = "<img src=x onerror=alert(1)>"
GROUPS = ("<b>x</b>", "**bold**")


def small_frame(rows: int = 300, seed: int = 0, sensitive: str = "region", groups=("north", "south")) -> pd.DataFrame:
    """A made-up table: two numeric columns, a categorical one, a sensitive column and a string target."""
    rng = np.random.default_rng(seed)
    group = rng.choice(list(groups), rows, p=[0.6, 0.4])
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    logit = x1 + 0.5 * x2 + 0.5 * (group == groups[0])
    outcome = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "hired", "rejected")
    return pd.DataFrame({"x1": x1, "x2": x2, "job": rng.choice(["clerk", "nurse", "engineer"], rows),
                         sensitive: group, "outcome": outcome})


# --- mistakes in the table's parameters name what is wrong and say what to do ---

def test_a_misspelt_column_is_named_with_the_closest_one():
    with pytest.raises(ValueError, match=r"'regoin' \(sensitive\) \(did you mean 'region'\?\).*Valid columns"):
        tabular.from_dataframe(small_frame(50), target="outcome", sensitive="regoin", positive="hired")


def test_a_target_with_more_than_two_values_is_refused_with_what_to_do():
    frame = small_frame(60)
    frame.loc[frame.index[:10], "outcome"] = "on hold"
    with pytest.raises(ValueError, match=r"'outcome' has 3 distinct values \('hired', 'on hold', 'rejected'\).*"
                                         r"must have two.*two-valued column"):
        tabular.from_dataframe(frame, target="outcome", sensitive="region", positive="hired")
    # a function of the column still binarises it, in code
    table = tabular.from_dataframe(frame, target="outcome", sensitive="region", positive=lambda v: v == "hired")
    assert set(table.y) == {0, 1}


def test_a_split_that_leaves_a_group_without_rows_names_it():
    frame = small_frame(200)
    frame.loc[frame.index[:3], "region"] = "island"
    frame.loc[frame.index[:3], "outcome"] = ["hired", "rejected", "rejected"]
    frame.loc[frame.index[3], ["region", "outcome"]] = ["island", "hired"]
    table = tabular.from_dataframe(frame, target="outcome", sensitive="region", positive="hired")
    with pytest.raises(ValueError, match=r"leaves no training row with region='island' \(the table has 4 such rows"
                                         r".*merge that group"):
        table.split(0, train_size=12)
    frame.loc[frame.index[:4], "outcome"] = "rejected"   # the island has no one hired: no TPR, in any split
    table = tabular.from_dataframe(frame, target="outcome", sensitive="region", positive="hired")
    with pytest.raises(ValueError, match=r"region='island', outcome=1 has only 0 row"):
        table.split(0)


# --- a small table is fitted ---

def test_the_size_sweep_and_issue_460_are_fitted_to_a_small_table(capsys):
    table = tabular.from_dataframe(small_frame(300), target="outcome", sensitive="region", positive="hired")
    sizes, n_test = cf.size_plan("smoke", table)
    assert n_test == 100 and sizes == [50, 100]
    assert "the sweep uses [50, 100] with 100 test rows instead" in capsys.readouterr().out
    assert cf.issue460_size("smoke", len(table)) == 0.7 and cf.issue460_label("smoke", "t", len(table)) == "t 70/30"
    assert cf.issue460_size("smoke", 32561) == 600 and cf.issue460_size("default", 300) == 0.7
    assert cf.size_skipped("smoke", table) is None


def test_a_table_too_small_for_the_size_sweep_skips_it_with_untestable_claims(capsys):
    table = tabular.from_dataframe(small_frame(120), target="outcome", sensitive="region", positive="hired")
    reason = cf.size_skipped("smoke", table)
    assert reason and "has 120 rows" in reason and "needs two training sizes" in reason
    assert reason in capsys.readouterr().out
    claims = evidence.claims_table(cf.size_claims(None, table.name, reason))
    assert len(claims) == 2 * len(cf.SIZE_MODELS) and claims.claim.str.contains("not testable: ").all()
    assert (claims.verdict == "not shown").all() and (claims.n == 0).all()
    assert cf.size_markdown(None, claims, None, table.name, reason).startswith("Not run: ")
    enough = int(reason.split("a table of at least ")[1].split(" rows")[0])
    bigger = tabular.from_dataframe(small_frame(enough), target="outcome", sensitive="region", positive="hired")
    assert cf.size_skipped("smoke", bigger) is None
    assert cf.size_skipped("smoke", tabular.from_dataframe(small_frame(enough - 1), target="outcome",
                                                           sensitive="region", positive="hired"))


def test_k_nearest_neighbours_asks_for_no_more_neighbours_than_training_rows():
    from fairgap.classical_fits import ModelSpec, sklearn_estimator

    spec = ModelSpec(model="knn", n_neighbors=100)
    assert sklearn_estimator(spec, 0, 30).n_neighbors == 30
    assert sklearn_estimator(spec, 0, 5000).n_neighbors == 100 and sklearn_estimator(spec, 0).n_neighbors == 100


# --- strings from the table are text ---

def test_strings_from_data_are_escaped_for_markdown_and_figures():
    assert evidence.text(SENSITIVE) == "&lt;img src=x onerror=alert\\(1\\)&gt;"
    assert evidence.text("**bold**_a|b $x$") == "\\*\\*bold\\*\\*\\_a\\|b \\$x\\$"
    assert evidence.text("plain words, 0.5") == "plain words, 0.5"
    assert evidence.figure_text("$x$") == "\\$x\\$"
    claims = evidence.claims_table([evidence.untestable(f"{GROUPS[0]}: a | b", "s")])
    shown = evidence.claims_markdown(claims).data
    assert "&lt;b&gt;x&lt;/b&gt;: a \\| b" in shown and "<b>" not in shown


@pytest.mark.slow
def test_notebooks_00_and_08_run_on_a_small_table_whose_strings_look_like_markup(tmp_path):
    """Through papermill (run_notebooks.main, as run_all.sh): 300 rows, a categorical column, a string target, a
    sensitive column and group values that are markup, in a file whose name is markup too."""
    from fairgap import run_notebooks
    from fairgap.paths import figures_dir, run_key

    path = tmp_path / "**bold**_$x$.csv"
    small_frame(300, sensitive=SENSITIVE, groups=GROUPS).to_csv(path, index=False)
    executed, report = tmp_path / "executed", tmp_path / "report"
    code = run_notebooks.main(["--profile", "smoke", "--only", "00", "08", "--executed", str(executed),
                               "--report", str(report), "-p", "table", str(path), "-p", "target", "outcome",
                               "-p", "sensitive", SENSITIVE, "-p", "positive", "hired"])
    assert code == 0
    raw = (SENSITIVE, *GROUPS)
    tags = (SENSITIVE, GROUPS[0], "<strong>bold</strong>")   # what a page must not hold: markup that ran
    notebook00, notebook08 = (run_key(name, str(path)) for name in ("00_classical_vs_deep", "08_capacity_not_family"))
    assert notebook00.startswith("00_classical_vs_deep-file-")   # under the table's name, never over Adult's
    for name in (notebook00, notebook08):
        cells = json.loads((executed / f"{name}.ipynb").read_text())["cells"]
        outputs = [o for c in cells for o in c.get("outputs", [])]
        markdown = "".join("".join(o["data"]["text/markdown"]) for o in outputs if "text/markdown" in o.get("data", {}))
        html = "".join("".join(o["data"]["text/html"]) for o in outputs if "text/html" in o.get("data", {}))
        streams = "".join("".join(o["text"]) for o in outputs if o.get("output_type") == "stream")
        assert "\\*\\*bold\\*\\*\\_\\$x\\$" in markdown, name    # the table's name, escaped in the prose
        assert "too few for the profile's" in streams, name       # the sizes it scaled, said
        assert not any(value in markdown for value in raw), name   # prose: no tag, no emphasis
        assert not any(value in html for value in (SENSITIVE, GROUPS[0])), name   # tables (pandas escapes)
        page = (report / "notebooks" / f"{name}.html").read_text()
        assert not any(value in page for value in tags), name
        assert (figures_dir("smoke") / name / "claims.csv").is_file()
    cells = json.loads((executed / f"{notebook00}.ipynb").read_text())["cells"]
    prose = "".join("".join(o["data"]["text/markdown"]) for c in cells for o in c.get("outputs", [])
                    if "text/markdown" in o.get("data", {}))
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in prose   # the sensitive column, named in 00's prose
    page = (report / "notebooks" / f"{notebook00}.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "**bold**_$x$" in page   # shown, as text
    index = (report / "index.html").read_text()
    assert "**bold**_$x$ 70/30: " in index   # 08's claims, in the report's claims table
    assert not any(value in index for value in tags)
    claims = pd.read_csv(figures_dir("smoke") / notebook08 / "claims.csv")
    assert claims.claim.str.startswith("**bold**_$x$ 70/30: ").any()   # fairlearn #460 on the issue's split
