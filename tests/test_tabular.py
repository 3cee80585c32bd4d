"""fairgap.tabular: any DataFrame with named target and sensitive columns, and the vendored Adult table."""

import numpy as np
import pandas as pd
import pytest

from fairgap import tabular


def people(n=400, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n, p=[0.4, 0.6])
    income = rng.normal(50, 10, n) + 8 * (sex == "M")
    return pd.DataFrame({
        "income": income,
        "job": rng.choice(["clerk", "nurse", "pilot"], n),
        "remote": rng.random(n) < 0.3,
        "region": rng.integers(1, 4, n),          # a numeric code: categorical only when named
        "sex": sex,
        "hired": np.where(income + rng.normal(0, 5, n) > 55, "yes", "no"),
    })


def test_encoding_one_hot_categoricals_and_standardise_numeric_with_training_statistics():
    frame = people()
    table = tabular.from_dataframe(frame, target="hired", sensitive="sex", positive="yes", categorical=["region"])
    assert table.categorical == ["job", "remote", "region"] and table.numeric == ["income"]
    split = table.split(seed=3, train_size=0.5)
    names = split.feature_names
    assert {"job_clerk", "job_nurse", "job_pilot", "region_1", "region_2", "region_3", "income"} <= set(names)
    assert "sex_F" not in names and not any(n.startswith("hired") for n in names)   # neither target nor group
    one_hot = split.x_train[:, [names.index(n) for n in ("job_clerk", "job_nurse", "job_pilot")]]
    assert set(np.unique(one_hot)) == {0.0, 1.0} and np.all(one_hot.sum(axis=1) == 1)
    # Standardised with the training rows' mean and std, applied unchanged to the test rows.
    column = names.index("income")
    raw = table.features.income.to_numpy()
    train, test = raw[split.train_rows], raw[split.test_rows]
    assert len(set(split.train_rows) | set(split.test_rows)) == len(frame)
    np.testing.assert_allclose(split.x_train[:, column], (train - train.mean()) / train.std(), atol=1e-5)
    np.testing.assert_allclose(split.x_test[:, column], (test - train.mean()) / train.std(), atol=1e-5)
    assert abs(split.x_test[:, column].mean()) > 1e-3          # the test rows were not standardised on themselves


def test_a_category_seen_only_in_test_encodes_as_zeros():
    frame = people(200)
    frame.loc[frame.index[-1], "job"] = "astronaut"
    table = tabular.from_dataframe(frame, target="hired", sensitive="sex", positive="yes")
    for seed in range(5):
        split = table.split(seed, train_size=0.5)
        if "job_astronaut" not in split.feature_names:
            jobs = [i for i, n in enumerate(split.feature_names) if n.startswith("job_")]
            assert (split.x_test[:, jobs].sum(axis=1) == 0).sum() == 1
            return
    pytest.fail("the odd category landed in the training rows every time")


def test_splits_are_stratified_reproducible_and_differ_between_seeds():
    table = tabular.from_dataframe(people(1000), target="hired", sensitive="sex", positive="yes")
    splits = table.splits(n_splits=10, train_size=300)
    assert len(splits) == 10 and [s.seed for s in splits] == list(range(10))
    for s in splits:
        assert len(s.y_train) == 300 and len(s.y_test) == 700
        for g in (0, 1):
            whole = table.y[table.group == g].mean()
            assert abs(s.y_train[s.g_train == g].mean() - whole) < 0.02
            assert abs((s.g_train == g).mean() - (table.group == g).mean()) < 0.01
    again = table.split(seed=4, train_size=300)
    np.testing.assert_array_equal(again.x_train, splits[4].x_train)
    assert not np.array_equal(splits[0].x_train, splits[1].x_train)
    assert len(table.split(0, train_size=200, test_size=100).y_test) == 100


def test_bad_column_names_raise_an_error_naming_them_and_the_valid_columns():
    frame = people(50)
    with pytest.raises(ValueError) as err:
        tabular.from_dataframe(frame, target="salary", sensitive="gender", features=["income", "age"])
    text = str(err.value)
    for expected in ("'salary' (target)", "'gender' (sensitive)", "'age' (features)", "Valid columns", "'hired'"):
        assert expected in text
    assert "'income' (features)" not in text


def test_a_sensitive_column_with_one_group_is_refused():
    frame = people(50).assign(sex="F")
    with pytest.raises(ValueError, match=r"'sex' has only the group 'F'.*at least two groups"):
        tabular.from_dataframe(frame, target="hired", sensitive="sex", positive="yes")


def test_target_must_be_binary_or_name_its_positive_class():
    frame = people(80)
    with pytest.raises(ValueError, match=r"not 0/1 .*'no', 'yes'.*positive="):
        tabular.from_dataframe(frame, target="hired", sensitive="sex")
    with pytest.raises(ValueError, match="positive='maybe' does not occur"):
        tabular.from_dataframe(frame, target="hired", sensitive="sex", positive="maybe")
    table = tabular.from_dataframe(frame, target="income", sensitive="sex", positive=lambda v: v > 55)
    np.testing.assert_array_equal(table.y, (frame.income > 55).astype(int))
    assert "income" not in table.features.columns


def test_rows_without_target_or_group_are_dropped_with_a_warning():
    frame = people(60)
    frame.loc[:4, "sex"] = None
    with pytest.warns(UserWarning, match="dropped 5 row"):
        table = tabular.from_dataframe(frame, target="hired", sensitive="sex", positive="yes")
    assert len(table) == 55 and table.dropped_rows == 5


def test_too_many_groups_and_too_rare_cells_are_explained():
    frame = people(100)
    with pytest.raises(ValueError, match="distinct values .* bin it first"):
        tabular.from_dataframe(frame, target="hired", sensitive="income", positive="yes")
    frame.loc[frame.index[:1], "sex"] = "X"
    table = tabular.from_dataframe(frame, target="hired", sensitive="sex", positive="yes")
    with pytest.raises(ValueError, match="'X'.*only [01] row.*at least 2"):
        table.split(0)


def test_bundled_adult_table_is_the_uci_file():
    table = tabular.adult()
    assert len(table) == 32561 and table.group_labels == ("Female", "Male")
    assert table.target_name == "income" and abs(table.y.mean() - 0.2408) < 1e-3
    assert "fnlwgt" not in table.features.columns and "sex" not in table.features.columns
    rates = table.describe().positive_rate
    assert rates["Male"] > 2 * rates["Female"]
    with pytest.raises(ValueError, match="Unknown bundled table 'compas'.*adult.*from_dataframe"):
        tabular.load_table("compas")
    with pytest.raises(ValueError, match="Unknown fairlearn dataset 'german'"):
        tabular.fetch("german")
