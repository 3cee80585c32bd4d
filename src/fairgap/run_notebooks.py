"""Execute every notebook with papermill, keep going past failures, summarise, and build the report.

    python -m fairgap.run_notebooks --profile smoke [-p NAME VALUE ...] [--only 01 03] [--jobs N]
    python -m fairgap.run_notebooks --profile smoke --report-only
    python -m fairgap.run_notebooks --from-figures      # every notebook from the committed figures/, no training

``run_all.sh`` calls this after setting up the environment (and, before that, with
``--check-arguments`` under the system Python, so that bad arguments fail before any install:
this module imports only the standard library at the top). Executed copies and the run summary
(``summary.json``) go to ``build/executed/<profile>/``; figures go wherever ``fairgap.figures``
puts them for the profile (``figures/`` for default, ``build/figures-<profile>/`` otherwise); the
static report (``fairgap.report``) to ``build/report/<profile>/``.

In the default profile notebooks 01-04 and 07 run twice: on the generated faces, and on the vendored Adult
table (``-p table adult``), the second into ``figures/<notebook>-adult/`` and ``<notebook>-adult.ipynb``
(``ON_ADULT_TOO``, ``plan_jobs``). Given ``-p table`` they run on that table only, under its name
(``fairgap.paths.notebook_key``).

``--jobs auto`` runs as many notebooks at once as there are cores in the smoke profile (its
notebooks are mostly kernel start-up and imports) and one at a time otherwise (each notebook's
sweep already spreads its runs over every core). The summary keeps the notebooks' order.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .paths import (ADULT, HOLDS_ADULT, NOTEBOOK_VARIABLE, PROFILE_NAMES, SEED_OFFSET_VARIABLE, available_cores,
                    check_profile, figures_dir, notebook_key, project_root, run_key)
from .progress import watch
from .report import SUMMARY_FILE, ReportError, read_summary

# nbformat validates notebooks with jsonschema, which imports the optional IRI parser rfc3987_syntax
# when installed (jupyter-events pulls it in) and builds dozens of parsers on import: about 2 s in every
# runner and --jobs worker process. Nothing here validates IRIs, so the runner goes without it.
sys.modules.setdefault("rfc3987_syntax", None)

KERNEL_NAME = "fairgap"
PROGRESS_PREFIX = "progress-"  # the report of the notebook running, beside its executed copy


@dataclass
class NotebookOutcome:
    notebook: str
    status: str                      # "ok" or "FAILED"
    seconds: float
    figures: list[str] = field(default_factory=list)
    error: str = ""
    without: str = ""                # the -p parameters it ran without, and why (check_parameters)
    skipped: str = ""                # why it did not run (status "skipped"): it takes no table (-p table)


def parse_value(text: str):
    """A -p value as JSON when it parses (numbers, lists, true/false/null), Python's True/False/None, else a string."""
    aliases = {"True": True, "False": False, "None": None}
    if text in aliases:
        return aliases[text]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def kernel_config(sockets: str):
    """The kernel talks to papermill over IPC sockets in ``sockets`` (a private folder, one per notebook, so
    that notebooks run side by side never share a socket), not over TCP on localhost: nothing listens on a
    port, and ipykernel has no reason to warn "Kernel is running over TCP without encryption" per notebook."""
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}})


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


@dataclass(frozen=True)
class Job:
    """One execution of a notebook: its file, the name its executed copy and figures go under
    (``fairgap.paths.notebook_key``: the notebook's own, or with a table's name), and parameters of its own
    (on top of the run's -p)."""

    path: Path
    name: str
    parameters: tuple = ()


# The notebooks the default profile runs on the vendored Adult table as well as on the faces, each into its own
# folder (figures/<notebook>-adult/): the paper's findings about networks, asked again on real data. Notebooks 00
# and 08 hold Adult in their own run; 05, 06 and 09 take no table.
ON_ADULT_TOO = ("01_fairness_overfits", "02_constraint_strength", "03_model_capacity", "04_training_set_size",
                "07_remedies")
TABLE_RUN_PROFILES = ("default",)


def plan_jobs(notebooks: list[Path], profile: str, parameters: dict) -> list[Job]:
    """The executions of ``notebooks``: each once, and in the default profile the ``ON_ADULT_TOO`` ones on Adult
    as well (not when -p table names the table: then each notebook that takes a table runs on that table, under
    ``fairgap.paths.run_key``: the table's name, except 00 and 08 on Adult, which they hold anyway)."""
    jobs = []
    for path in notebooks:
        keyed = path.stem in ON_ADULT_TOO
        if (keyed or path.stem in HOLDS_ADULT) and "table" in parameters and parameters["table"] is not None:
            jobs.append(Job(path, run_key(path.stem, str(parameters["table"]))))
            continue
        jobs.append(Job(path, path.stem))
        if keyed and profile in TABLE_RUN_PROFILES and "table" not in parameters:
            jobs.append(Job(path, notebook_key(path.stem, ADULT), (("table", ADULT),)))
    return jobs


def run_notebook(job: Job | Path, profile: str, parameters: dict, output_dir: Path, kernel: str) -> NotebookOutcome:
    import tempfile

    import papermill

    job = job if isinstance(job, Job) else Job(job, job.stem)
    path = job.path
    start = time.time()
    os.environ[NOTEBOOK_VARIABLE] = job.name  # the kernel and its workers inherit it (io.write_timing)
    output_dir.mkdir(parents=True, exist_ok=True)
    outcome = NotebookOutcome(job.name, "ok", 0.0)
    left_out = withheld(declared_parameters(path), parameters)   # main has said which and why
    parameters = {**{k: v for k, v in parameters.items() if k not in left_out}, **dict(job.parameters)}
    # Runs done, time so far and left, printed every 30 s or less often (fairgap.progress); the smoke profile is quiet.
    report = output_dir / f"{PROGRESS_PREFIX}{job.name}.json"
    try:
        with tempfile.TemporaryDirectory(prefix="fairgap-kernel-") as sockets, \
                watch(report, job.name, enabled=profile != "smoke"):
            papermill.execute_notebook(str(path), str(output_dir / f"{job.name}.ipynb"),
                                       parameters={"profile": profile, **parameters}, kernel_name=kernel,
                                       cwd=str(path.parent), progress_bar=False, config=kernel_config(sockets))
    except Exception as error:  # noqa: BLE001 - every failure is reported, and the next notebook still runs
        outcome.status, outcome.error = "FAILED", describe_failure(error)
    outcome.seconds = time.time() - start
    outcome.figures = figures_written(profile, job.name, start - 1)
    return outcome


def format_summary(outcomes: list[NotebookOutcome], profile: str) -> str:
    width = max([len(o.notebook) for o in outcomes] + [8])
    lines = [f"Summary (profile {profile}):", f"  {'notebook':<{width}}  {'status':<6}  {'seconds':>7}  figures"]
    for o in outcomes:
        lines.append(f"  {o.notebook:<{width}}  {o.status:<6}  {o.seconds:7.1f}  {len(o.figures)}")
    for o in outcomes:
        if o.error:
            lines.append(f"  {o.notebook} failed at {o.error}")
    for o in outcomes:
        if o.without:
            lines.append(f"  {o.notebook} ran without {o.without}")
    for o in outcomes:
        if o.skipped:
            lines.append(f"  {o.notebook} skipped: {o.skipped}")
    failed = sum(o.status not in ("ok", SKIPPED) for o in outcomes)
    skipped = sum(o.status == SKIPPED for o in outcomes)
    lines.append(f"  {len(outcomes) - failed - skipped} passed, " + (f"{skipped} skipped, " if skipped else "")
                 + f"{failed} failed; figures in {figures_dir(profile)}")
    return "\n".join(lines)


def parse_jobs(text: str) -> str | int:
    """``--jobs``: "auto" or a whole number of notebooks at once, at least 1."""
    if text == "auto":
        return text
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: give a whole number of notebooks to run at once "
                                         "(1 or more) or 'auto' (the core count for the smoke profile, else 1)")
    return jobs


def resolve_jobs(jobs: str | int, profile: str, notebooks: int, light: bool = False) -> int:
    """``light``: the notebooks train nothing (``--from-figures``), so "auto" runs one per core as for smoke."""
    if jobs == "auto":
        jobs = available_cores() if profile == "smoke" or light else 1
    return max(1, min(int(jobs), notebooks))


def execute_notebooks(notebooks: list[Job], profile: str, parameters: dict, output_dir: Path, kernel: str,
                      jobs: int) -> list[NotebookOutcome]:
    """Every planned run (``plan_jobs``), ``jobs`` at a time (in separate processes); outcomes in their order."""
    def report(job: Job, outcome: NotebookOutcome) -> None:
        print(f"[{profile}] {job.name}.ipynb: {outcome.status} in {outcome.seconds:.1f} s"
              + (f" -- {outcome.error}" if outcome.error else ""), flush=True)

    if jobs == 1:
        outcomes = []
        for job in notebooks:
            print(f"[{profile}] {job.name}.ipynb ...", flush=True)
            outcomes.append(run_notebook(job, profile, parameters, output_dir, kernel))
            report(job, outcomes[-1])
        return outcomes
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    print(f"[{profile}] {len(notebooks)} notebooks, {jobs} at a time ...", flush=True)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_notebook, job, profile, parameters, output_dir, kernel): job
                   for job in notebooks}
        done = {}
        for future in as_completed(futures):
            job = futures[future]
            try:
                done[job] = future.result()
            except Exception as error:  # noqa: BLE001 - the worker itself died (killed, out of memory)
                done[job] = NotebookOutcome(job.name, "FAILED", 0.0, error=f"worker process: {describe_failure(error)}")
            report(job, done[job])
    return [done[job] for job in notebooks]


def adjust_claims(profile: str) -> None:
    """Holm over the collection's primary claims once more after every notebook ran: each notebook adjusts
    when it saves its claims, but notebooks run side by side (``--jobs``) may have adjusted before another's
    table was written."""
    from .claims import adjust
    from .paths import figures_dir

    adjust(figures_dir(profile))


def write_summary(outcomes: list[NotebookOutcome], profile: str, output_dir: Path) -> Path:
    """``summary.json`` beside the executed notebooks, for ``--report-only``: this run's outcomes, and the
    earlier ones of notebooks that this run left alone (``--only``) when their executed copy is still there."""
    path = output_dir / SUMMARY_FILE
    entries = {e["notebook"]: e for e in read_summary(output_dir)
               if (output_dir / f"{e['notebook']}.ipynb").is_file()}
    finished = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    entries.update({o.notebook: {**asdict(o), "finished": finished} for o in outcomes})
    body = {"profile": profile, "notebooks": [entries[name] for name in sorted(entries)]}
    output_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=1))
    os.replace(tmp, path)
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_all.sh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="default", choices=PROFILE_NAMES,
                        help="smoke: seconds per notebook, for CI; default: minutes on a CPU laptop; "
                             "paper: a GPU with real data (default: %(default)s)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="passed to every notebook's parameters cell (repeatable)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="run notebooks whose name starts with these prefixes (a run's name too: "
                             "01_fairness_overfits-adult runs notebook 01 on Adult only)")
    parser.add_argument("--jobs", type=parse_jobs, default="auto", metavar="N",
                        help="notebooks run at once; 'auto' (default): the core count for the smoke profile, else 1")
    parser.add_argument("--report-only", action="store_true",
                        help="execute nothing: rebuild build/report/<profile>/ from the executed notebooks")
    parser.add_argument("--no-report", action="store_true", help="do not build the report after the run")
    parser.add_argument("--notebooks", type=Path, default=None, help="folder of notebooks (default: notebooks/)")
    parser.add_argument("--executed", type=Path, default=None,
                        help="folder for executed copies (default: build/executed/<profile>/)")
    parser.add_argument("--report", type=Path, default=None,
                        help="folder for the report (default: build/report/<profile>/)")
    parser.add_argument("--seed-offset", type=int, default=None, metavar="N",
                        help="a replication: add N to every profile's default seeds and splits (seeds the committed "
                             "figures never used); its figures go to build/figures-<profile>-seed-offset-N")
    parser.add_argument("--compare", action="store_true",
                        help="default profile: after the run, compare its claims with the committed figures/ as they "
                             "were before it (flipped verdicts, estimates outside the committed interval, against "
                             "chance); kept in build/comparisons/ and shown in the report")
    parser.add_argument("--from-figures", action="store_true",
                        help="the fast way in: every notebook with results=\"committed\", drawing its figures, claims "
                             "and explorers from the run tables committed in figures/<notebook>/ (the profile's "
                             "figures folder), and the report; trains nothing (minutes, not an hour)")
    parser.add_argument("--check-arguments", action="store_true", help=argparse.SUPPRESS)
    return parser


def select_notebooks(folder: Path, only: list[str] | None) -> list[Path]:
    """The notebooks whose name starts with one of ``only`` (or that a run name in ``only`` belongs to:
    "01_fairness_overfits-adult" selects notebook 01, of whose runs ``select_jobs`` then keeps that one)."""
    notebooks = sorted(folder.glob("[0-9]*.ipynb"))
    if only:
        notebooks = [n for n in notebooks
                     if any(n.name.startswith(prefix) or prefix.startswith(f"{n.stem}-") for prefix in only)]
    return notebooks


def select_jobs(jobs: list[Job], only: list[str] | None) -> list[Job]:
    """The runs whose name starts with one of ``only`` ("01" keeps notebook 01 on the faces and on Adult;
    "01_fairness_overfits-adult" only the latter)."""
    return [job for job in jobs if not only or any(job.name.startswith(prefix) for prefix in only)]


# Why a notebook that does not declare a parameter runs without it, by parameter (else "has no parameter ...").
TABLE_PARAMETERS = ("table", "target", "sensitive", "positive")
SKIPPED = "skipped"
WHY_SKIPPED = ("it does not take a table (-p table): it studies its own generated or image data, so it would not "
               "answer for your table; run it without -p table")


def skipped_for_table(notebooks: list[Path], names) -> list[Path]:
    """The selected notebooks a run with -p table leaves out: those whose parameters cell has no ``table``
    (a notebook without a readable cell takes anything, as papermill does)."""
    if "table" not in names:
        return []
    return [path for path in notebooks if "table" not in (declared_parameters(path) or ["table"])]
WHY_WITHOUT = {name: "does not take a table" for name in TABLE_PARAMETERS}


class ParameterError(ValueError):
    """A -p name that no selected notebook declares."""


def declared_parameters(path: Path) -> list[str] | None:
    """The names a notebook's parameters cell (the code cell tagged ``parameters``) assigns, read from the
    .ipynb's JSON (standard library only: ``--check-arguments`` runs before the environment exists); None
    when it has no such cell or the cell does not parse (then any -p is passed on, as papermill would)."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return None
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in (cell.get("metadata") or {}).get("tags", []):
            source = cell.get("source", "")
            try:
                tree = ast.parse("".join(source) if isinstance(source, list) else source)
            except SyntaxError:
                return None
            names = []
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, ast.AnnAssign) else []
                for target in targets:
                    for leaf in (target.elts if isinstance(target, ast.Tuple) else [target]):
                        if isinstance(leaf, ast.Name) and leaf.id not in names:
                            names.append(leaf.id)
            return names
    return None


def withheld(declared: list[str] | None, names) -> list[str]:
    """The -p ``names`` a notebook whose parameters cell assigns ``declared`` runs without: those it does not
    declare, and, given a table (-p table) it does not take, the table's target, sensitive and positive too (notebook
    06's own ``sensitive`` is an X-ray attribute, not the table's column). None (no readable cell): none."""
    if declared is None:
        return []
    table = "table" in names and "table" not in declared
    return [name for name in dict.fromkeys(names) if name not in declared or (table and name in TABLE_PARAMETERS)]


def check_parameters(notebooks: list[Path], names, others: list[Path] = ()) -> dict[str, str]:
    """The -p ``names`` against the selected notebooks' parameters cells (read now: a parameter added to a
    notebook is valid at once). A name that no notebook declares raises ParameterError, listing each notebook's
    parameters and the closest valid name (or the notebooks of ``others``, not selected, that take it); otherwise returns {notebook: "-p NAME (why)"} for the notebooks that
    run without some of the names (they do not declare them)."""
    declared = {path.stem: declared_parameters(path) for path in notebooks}
    known = [d for d in declared.values() if d is not None]
    if len(known) < len(declared):   # a notebook without a readable parameters cell takes anything, as papermill does
        return {}
    valid = list(dict.fromkeys(name for names in known for name in names))
    unknown = [name for name in dict.fromkeys(names) if name not in valid]
    if unknown:
        lines = []
        for name in unknown:
            close = difflib.get_close_matches(name, valid, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            if not close:   # a notebook that is not selected may take it, or a name close to it
                theirs = {path.stem: declared_parameters(path) or [] for path in others if path.stem not in declared}
                close = difflib.get_close_matches(name, [n for names in theirs.values() for n in names], n=1)
                if close:
                    takers = [notebook for notebook, mine in theirs.items() if close[0] in mine]
                    hint = (f"; {', '.join(takers)} (not selected) take{'s' if len(takers) == 1 else ''} "
                            + (f"it: select {'it' if len(takers) == 1 else 'them'} with --only." if close[0] == name
                               else f"{close[0]!r}: did you mean it, and to select them with --only?"))
            lines.append(f"-p {name}: no selected notebook takes a parameter {name!r}{hint}")
        lines.append("Parameters each selected notebook takes:")
        lines += [f"  {notebook}: {', '.join(names)}" for notebook, names in declared.items()]
        lines.append("Nothing was run. Give one of these names (each is a variable of the notebook's first code cell), "
                     "or select notebooks that take it with --only.")
        raise ParameterError("\n".join(lines))
    without = {}
    for notebook, mine in declared.items():
        missing = withheld(mine, names)
        if missing:
            reasons = list(dict.fromkeys(WHY_WITHOUT.get(name, f"has no parameter {name!r}") for name in missing))
            without[notebook] = f"-p {', -p '.join(missing)} (it {'; it '.join(reasons)})"
    return without


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.report_only and (args.parameter or args.only is not None or args.no_report):
        parser.error("--report-only executes nothing, so it takes no -p, --only or --no-report; "
                     "run without --report-only to execute notebooks")
    if args.report_only and (args.seed_offset is not None or args.compare):
        parser.error("--report-only executes nothing, so it takes no --seed-offset or --compare")
    if args.seed_offset is not None and args.seed_offset < 0:
        parser.error(f"--seed-offset must be 0 or more, got {args.seed_offset}")
    if args.from_figures and (args.report_only or args.compare or args.seed_offset is not None):
        parser.error("--from-figures executes every notebook from the committed figures/ (results=\"committed\"), "
                     "so it takes no --report-only, --compare or --seed-offset")
    if args.from_figures and any(name == "results" for name, _ in args.parameter):
        parser.error("--from-figures sets the notebooks' results parameter to \"committed\"; leave out -p results")
    if args.compare and args.profile != "default":
        parser.error(f"--compare compares with the committed figures/, which are the default profile's; "
                     f"--profile {args.profile} runs other settings (use --profile default)")
    profile = check_profile(args.profile)
    root = project_root()
    # A replication keeps its executed copies and report beside the committed run's, not over them.
    label = profile if not args.seed_offset else f"{profile}-seed-offset-{args.seed_offset}"
    output_dir = args.executed or root / "build" / "executed" / label
    report_dir = args.report or root / "build" / "report" / label
    folder = args.notebooks or root / "notebooks"
    notebooks = select_notebooks(folder, args.only)
    if not notebooks and not args.report_only:
        names = ", ".join(p.stem for p in select_notebooks(folder, None)) or "none"
        print(f"No notebooks found in {folder} matching --only {' '.join(args.only or [])}. "
              f"Notebooks there: {names}. Give prefixes of these names (e.g. --only 01 03).", file=sys.stderr)
        return 2
    try:
        without = check_parameters(notebooks, [name for name, _ in args.parameter], select_notebooks(folder, None))
    except ParameterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.from_figures:   # a notebook without the results parameter would train: left out, and said so
        cannot = [path for path in notebooks if "results" not in (declared_parameters(path) or ["results"])]
        for path in cannot:
            print(f"[{profile}] {path.stem} has no results parameter, so it cannot run from the figures: left out",
                  file=sys.stderr, flush=True)
        notebooks = [path for path in notebooks if path not in cannot]
    skipped = skipped_for_table(notebooks, [name for name, _ in args.parameter])
    notebooks = [path for path in notebooks if path not in skipped]
    if args.check_arguments:
        return 0
    if args.report_only:
        return build_report(profile, output_dir, report_dir)
    parameters = {name: parse_value(value) for name, value in args.parameter}
    if args.from_figures:
        parameters["results"] = "committed"   # fairgap.committed: read figures/<notebook>/, train nothing
    absolute_locations()
    if args.seed_offset is not None:
        os.environ[SEED_OFFSET_VARIABLE] = str(args.seed_offset)  # the kernels inherit it
    reference = snapshot_claims(root / "figures") if args.compare else None
    for path in skipped:
        print(f"[{profile}] {path.stem} skipped: {WHY_SKIPPED}", flush=True)
    for notebook, what in without.items():
        if notebook not in {path.stem for path in skipped}:
            print(f"[{profile}] {notebook} runs without {what}", flush=True)
    kernel = ensure_kernel()
    planned = select_jobs(plan_jobs(notebooks, profile, parameters), args.only)
    jobs = resolve_jobs(args.jobs, profile, len(planned), light=args.from_figures)
    outcomes = execute_notebooks(planned, profile, parameters, output_dir, kernel, jobs)
    for job, outcome in zip(planned, outcomes):
        outcome.without = without.get(job.path.stem, "")
    adjust_claims(profile)
    print(format_summary(sorted(outcomes + [NotebookOutcome(path.stem, SKIPPED, 0.0, skipped=WHY_SKIPPED)
                                            for path in skipped], key=lambda o: o.notebook), profile))
    if reference is not None:
        compare_with(reference, profile)
    write_summary(outcomes, profile, output_dir)
    print(f"Executed copies: {output_dir}")
    failed = any(o.status != "ok" for o in outcomes)
    report_failed = 0 if args.no_report else build_report(profile, output_dir, report_dir)
    return 1 if failed or report_failed else 0


LOCATION_VARIABLES = ("FAIRGAP_FIGURES", "FAIRGAP_RESULTS", "FAIRGAP_DATA")


def absolute_locations() -> None:
    """Make the FAIRGAP_* folders the user gave absolute: the kernels run from notebooks/, where a relative
    FAIRGAP_FIGURES=build/x would land in notebooks/build/x while this process looks in ./build/x."""
    for name in LOCATION_VARIABLES:
        if os.environ.get(name):
            os.environ[name] = str(Path(os.environ[name]).resolve())


def snapshot_claims(figures: Path) -> Path:
    """Copy the committed claims tables aside before a run that may overwrite them (a reproduction writes
    into figures/ itself); returns the copy's folder."""
    import shutil

    folder = project_root() / "build" / "comparisons" / ".reference"
    shutil.rmtree(folder, ignore_errors=True)
    for table in sorted(figures.glob("*/claims*.csv")):
        target = folder / table.parent.name / table.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(table, target)
    return folder


def compare_with(reference: Path, profile: str) -> None:
    """Compare the run's claims tables with the snapshot of the committed ones; print and keep the result."""
    from .compare import compare_folders, save_comparison, summary

    run = figures_dir(profile)
    rows = compare_folders(reference, run)
    folder = save_comparison(rows, run, "the committed figures/ (as they were before this run)")
    print(f"Comparison of {run} with the committed figures/ (kept in {folder}):\n{summary(rows)}")


def build_report(profile: str, executed: Path, report_dir: Path) -> int:
    """Build the static report; 0 when built, 1 (with the reason on stderr) when not."""
    from .report import build_report as build

    start = time.time()
    try:
        index = build(profile, executed=executed, report_dir=report_dir)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Report: {index} (built in {time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
