"""Where data, cached results and figures live.

Every location can be overridden by an environment variable, so that a notebook run
from any working directory (papermill runs them from ``notebooks/``) finds the same
files, and so that tests can point everything at a temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PROFILE_NAMES = ("smoke", "default", "paper")   # each study keeps its own scale per profile (its PROFILES table)
# A replication on seeds the committed figures never used: added to every profile's default seeds
# (``run_all.sh --seed-offset N`` sets it for the notebooks' kernels).
SEED_OFFSET_VARIABLE = "FAIRGAP_SEED_OFFSET"
# Set by fairgap.run_notebooks for each notebook's kernel (and so its workers): the runs it trains say whose they were.
NOTEBOOK_VARIABLE = "FAIRGAP_NOTEBOOK"


# The bundled tables' names (fairgap.tabular.TABLES), here so that the runner, which imports only the standard
# library, can name a notebook's run on a table.
ADULT = "adult"   # the vendored UCI Adult table
BUNDLED_TABLES = (ADULT,)


def table_slug(table: str) -> str:
    """A short name for ``table`` (a bundled table's name, or a file's path): the bundled name itself, else
    "file-" and the file's name without its suffixes, in letters, digits, "-" and "_"."""
    if table in BUNDLED_TABLES:
        return table
    name = re.split(r"[\\/]", str(table).rstrip("/\\"))[-1]
    stem = name.split(".")[0] or name
    return "file-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "table")


def notebook_key(notebook: str, table: str | None = None) -> str:
    """Where a notebook's run keeps its figures, claims and executed copy: the notebook's name on its own data,
    ``<notebook>-<table_slug>`` on a table (``figures/01_fairness_overfits-adult/`` beside
    ``figures/01_fairness_overfits/``), so that a run on a table never overwrites the images' figures."""
    return notebook if table is None else f"{notebook}-{table_slug(table)}"


# Notebooks 00 and 08 hold Adult beside the faces in one run: only a table of the user's gives them a key of their own.
HOLDS_ADULT = ("00_classical_vs_deep", "08_capacity_not_family")


def run_key(notebook: str, table: str | None = None) -> str:
    """Where a run of ``notebook`` on ``table`` keeps its figures, claims and executed copy: ``notebook_key``, except
    for notebooks 00 and 08 on Adult (or no table), which is their own data (``HOLDS_ADULT``). So a run on a user's
    table goes under the table's name in every notebook, and never over the committed figures."""
    if notebook in HOLDS_ADULT and table in (None, ADULT):
        return notebook
    return notebook_key(notebook, table)


def base_notebook(key: str) -> str:
    """The notebook a ``notebook_key`` belongs to (the key itself for a notebook on its own data)."""
    return key.split("-", 1)[0]


def key_table(key: str) -> str:
    """The table a ``notebook_key`` names, as a reader would ("adult"; "hiring" for ``-file-hiring``), or "" for a
    notebook on its own data."""
    slug = key.split("-", 1)[1] if "-" in key else ""
    return slug.removeprefix("file-")


def project_root() -> Path:
    """The checkout this package was installed from (editable install), else the cwd."""
    if "FAIRGAP_ROOT" in os.environ:
        return Path(os.environ["FAIRGAP_ROOT"])
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").is_file() and (here / "notebooks").is_dir():
        return here
    return Path.cwd()


def data_dir() -> Path:
    """Generated and user-supplied datasets (see data/README.md)."""
    return Path(os.environ.get("FAIRGAP_DATA", project_root() / "data"))


def results_dir() -> Path:
    """Cached training runs, keyed by the hash of their config."""
    return Path(os.environ.get("FAIRGAP_RESULTS", project_root() / "results"))


def figures_dir(profile: str = "default") -> Path:
    """Figures of the default profile are tracked in ``figures/``; other profiles write elsewhere."""
    check_profile(profile)
    if "FAIRGAP_FIGURES" in os.environ:
        return Path(os.environ["FAIRGAP_FIGURES"])
    return run_figures_dir(profile, seed_offset())


def run_figures_dir(profile: str, offset: int) -> Path:
    """Where a run of ``profile`` at seed offset ``offset`` writes its figures (``FAIRGAP_FIGURES`` aside): the
    committed ``figures/`` for the default profile at offset 0, ``build/figures-<profile>`` for another
    profile, and ``build/figures-<profile>-seed-offset-<offset>`` for a replication, which never overwrites them."""
    check_profile(profile)
    root = project_root()
    if offset:
        return root / "build" / f"figures-{profile}-seed-offset-{offset}"
    return root / "figures" if profile == "default" else root / "build" / f"figures-{profile}"


def replication_of(folder: Path) -> tuple[str, int] | None:
    """(profile, seed offset) of a replication's figures folder (named ``figures-<profile>-seed-offset-<k>``,
    k ≥ 1, as ``run_figures_dir`` names it), else None."""
    match = re.fullmatch(r"figures-(\w+)-seed-offset-(\d+)", Path(folder).name)
    if not match or match[1] not in PROFILE_NAMES or int(match[2]) == 0:
        return None
    return match[1], int(match[2])


# Committed copies of replications' claims tables (python -m fairgap.compare RUN --keep-replication).
REPLICATIONS = "replications"


def kept_replication_dir(profile: str, offset: int) -> Path:
    """The committed copy of a replication's claims tables: ``replications/<profile>-seed-offset-<offset>/``."""
    return project_root() / REPLICATIONS / f"{check_profile(profile)}-seed-offset-{offset}"


def seed_offset() -> int:
    """The offset added to every profile's default seeds and splits (0 unless ``FAIRGAP_SEED_OFFSET`` is set)."""
    text = os.environ.get(SEED_OFFSET_VARIABLE, "0").strip() or "0"
    if not text.isdigit():
        raise ValueError(f"{SEED_OFFSET_VARIABLE}={text!r} must be a whole number of 0 or more (e.g. 100: seeds "
                         "100, 101, ... instead of 0, 1, ...); unset it for the committed seeds.")
    return int(text)


def with_seed_offset(scale: dict) -> dict:
    """A copy of a profile's scale table with ``seed_offset()`` added to every list of seeds in it (keys that
    end in "seeds", nested tables included). Explicit seeds a notebook is given are never shifted."""
    offset = seed_offset()
    shifted = {}
    for key, value in scale.items():
        if isinstance(value, dict):
            value = with_seed_offset(value)
        elif key.endswith("seeds") and isinstance(value, (list, tuple)):
            value = [seed + offset for seed in value]
        shifted[key] = value
    return shifted


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_profile(profile: str) -> str:
    if profile not in PROFILE_NAMES:
        raise ValueError(f"Unknown profile {profile!r}. Valid profiles: {', '.join(PROFILE_NAMES)} "
                         "(smoke: seconds, for CI; default: minutes on a CPU laptop; paper: a GPU with real data).")
    return profile
