"""Execute every notebook with papermill, keep going past failures, and summarise.

    python -m fairgap.run_notebooks --profile smoke [-p NAME VALUE ...] [--only 01 03]

``run_all.sh`` calls this after setting up the environment. Executed copies go to
``build/executed/<profile>/``; figures go wherever ``fairgap.figures`` puts them for the
profile (``figures/`` for default, ``build/figures-<profile>/`` otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .paths import PROFILES, check_profile, figures_dir, project_root

KERNEL_NAME = "fairgap"


@dataclass
class NotebookOutcome:
    notebook: str
    status: str                      # "ok" or "FAILED"
    seconds: float
    figures: list[str] = field(default_factory=list)
    error: str = ""


def parse_value(text: str):
    """A -p value as JSON when it parses (numbers, lists, true/false/null), Python's True/False/None, else a string."""
    aliases = {"True": True, "False": False, "None": None}
    if text in aliases:
        return aliases[text]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def ensure_kernel() -> str:
    """A kernelspec that runs this interpreter, so notebooks import the same installed package."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL_NAME not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(kernel_name=KERNEL_NAME, display_name="Python (fairgap)", prefix=sys.prefix)
    return KERNEL_NAME


def describe_failure(error: BaseException) -> str:
    """Which cell failed and why, from papermill's error, else the exception itself."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        first_line = next((line for line in error.source.splitlines() if line.strip()), "")
        return (f"cell {error.cell_index} (execution count {error.exec_count}, starts `{first_line.strip()}`): "
                f"{error.ename}: {error.evalue}")
    return f"{type(error).__name__}: {error}"


def figures_written(profile: str, notebook: str, since: float) -> list[str]:
    folder = figures_dir(profile) / notebook
    if not folder.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime >= since)


def run_notebook(path: Path, profile: str, parameters: dict, output_dir: Path, kernel: str) -> NotebookOutcome:
    import papermill

    start = time.time()
    output_dir.mkdir(parents=True, exist_ok=True)
    outcome = NotebookOutcome(path.stem, "ok", 0.0)
    try:
        papermill.execute_notebook(str(path), str(output_dir / path.name), parameters={"profile": profile, **parameters},
                                   kernel_name=kernel, cwd=str(path.parent), progress_bar=False)
    except Exception as error:  # noqa: BLE001 - every failure is reported, and the next notebook still runs
        outcome.status, outcome.error = "FAILED", describe_failure(error)
    outcome.seconds = time.time() - start
    outcome.figures = figures_written(profile, path.stem, start - 1)
    return outcome


def format_summary(outcomes: list[NotebookOutcome], profile: str) -> str:
    width = max([len(o.notebook) for o in outcomes] + [8])
    lines = [f"Summary (profile {profile}):", f"  {'notebook':<{width}}  {'status':<6}  {'seconds':>7}  figures"]
    for o in outcomes:
        lines.append(f"  {o.notebook:<{width}}  {o.status:<6}  {o.seconds:7.1f}  {len(o.figures)}")
    for o in outcomes:
        if o.error:
            lines.append(f"  {o.notebook} failed at {o.error}")
    failed = sum(o.status != "ok" for o in outcomes)
    lines.append(f"  {len(outcomes) - failed} passed, {failed} failed; figures in {figures_dir(profile)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="default", choices=PROFILES)
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="passed to every notebook's parameters cell (repeatable)")
    parser.add_argument("--only", nargs="*", default=None, help="run notebooks whose name starts with these prefixes")
    parser.add_argument("--notebooks", type=Path, default=None, help="folder of notebooks (default: notebooks/)")
    parser.add_argument("--executed", type=Path, default=None,
                        help="folder for executed copies (default: build/executed/<profile>/)")
    args = parser.parse_args(argv)
    profile = check_profile(args.profile)
    folder = args.notebooks or project_root() / "notebooks"
    notebooks = sorted(folder.glob("[0-9]*.ipynb"))
    if args.only:
        notebooks = [n for n in notebooks if any(n.name.startswith(prefix) for prefix in args.only)]
    if not notebooks:
        print(f"No notebooks found in {folder} (matching {args.only}).", file=sys.stderr)
        return 2
    parameters = {name: parse_value(value) for name, value in args.parameter}
    kernel = ensure_kernel()
    output_dir = args.executed or project_root() / "build" / "executed" / profile
    outcomes = []
    for path in notebooks:
        print(f"[{profile}] {path.name} ...", flush=True)
        outcome = run_notebook(path, profile, parameters, output_dir, kernel)
        print(f"[{profile}] {path.name}: {outcome.status} in {outcome.seconds:.1f} s"
              + (f" -- {outcome.error}" if outcome.error else ""), flush=True)
        outcomes.append(outcome)
    print(format_summary(outcomes, profile))
    print(f"Executed copies: {output_dir}")
    return 1 if any(o.status != "ok" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
