"""The one place that decides where figures go and in which formats.

``save_figure(fig, notebook, name, data, profile)`` writes
``<figures dir>/<notebook>/<name>.png``, ``.pdf`` and, with ``data``, the table behind
the figure as ``.csv``. The figures dir is ``figures/`` for the default profile and
``build/figures-<profile>/`` otherwise, so smoke runs never touch tracked files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .io import atomic_path, write_csv
from .paths import figures_dir

FORMATS = ("png", "pdf")


def save_figure(fig, notebook: str, name: str, data: pd.DataFrame | None = None,
                profile: str = "default", dpi: int = 150) -> list[Path]:
    folder = figures_dir(profile) / notebook
    written = []
    for fmt in FORMATS:
        target = folder / f"{name}.{fmt}"
        with atomic_path(target, suffix=f".{fmt}") as tmp:
            # Fixed metadata keeps re-renders of identical data byte-stable under version control.
            metadata = {"Software": None} if fmt == "png" else {"Creator": None, "Producer": None, "CreationDate": None}
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
        written.append(target)
    if data is not None:
        write_csv(folder / f"{name}.csv", data)
        written.append(folder / f"{name}.csv")
    return written
