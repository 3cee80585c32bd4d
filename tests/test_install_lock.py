"""Installs you can reproduce: every third-party module the code imports is declared in pyproject.toml, and
every declared distribution has an exact version in the lock, constraints.txt (which scripts/bootstrap.sh
installs with; README "Two commands")."""

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10: the test extra brings tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"

# Import names whose distribution is named otherwise (anything else: packages_distributions, else the name).
DISTRIBUTION_OF = {
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "IPython": "ipython",
    "dateutil": "python-dateutil",
    "zmq": "pyzmq",
    "jupyter_client": "jupyter-client",
}


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them (Jinja2 = jinja2, jupyter_client = jupyter-client)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_of(module: str) -> str:
    if module in DISTRIBUTION_OF:
        return normalise(DISTRIBUTION_OF[module])
    installed = metadata.packages_distributions().get(module)
    return normalise(installed[0] if installed else module)


def third_party_imports(folder: Path, local: set[str] = frozenset()) -> dict[str, dict[str, bool]]:
    """``{top-level module: {file: imported at module level}}`` for every absolute import under ``folder``
    that is neither the standard library nor ``local``. An import inside a function (or class) is lazy:
    it may come from an optional extra."""
    found: dict[str, dict[str, bool]] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lazy = {id(node) for scope in ast.walk(tree) if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef))
                for node in ast.walk(scope)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in local:
                    continue
                at = found.setdefault(top, {})
                at[str(path.relative_to(ROOT))] = at.get(str(path.relative_to(ROOT)), False) or id(node) not in lazy
    return found


def declared(pyproject: str) -> dict[str, list[Requirement]]:
    """pyproject.toml's requirements: ``""`` for the dependencies, else the extra's name."""
    project = tomllib.loads(pyproject)["project"]
    groups = {"": project.get("dependencies", []), **project.get("optional-dependencies", {})}
    return {group: [Requirement(line) for line in lines] for group, lines in groups.items()}


def pins(lock: str) -> dict[str, str]:
    """``{distribution: version}`` of the lock's ``name==version`` lines; any other line is an error."""
    found = {}
    for line in lock.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;=]+)", line)
        assert match, f"constraints.txt: {line!r} is not an exact pin name==version"
        found[normalise(match[1])] = match[2]
    return found


def undeclared(imports: dict[str, dict[str, bool]], requirements: dict[str, list[Requirement]],
               eager: tuple[str, ...] = ("",), lazy: tuple[str, ...] | None = None) -> list[str]:
    """Imports no requirement declares: one imported at module level must be in the groups ``eager`` (``""``:
    the dependencies), a lazy one in ``eager`` or ``lazy`` (the extras it may come from; None: any)."""
    def names(groups):
        return {normalise(r.name) for group, reqs in requirements.items()
                if groups is None or group in groups for r in reqs}

    core = names(eager)
    anywhere = names(None if lazy is None else eager + lazy)
    missing = []
    for module, files in sorted(imports.items()):
        distribution = distribution_of(module)
        eager = [file for file, at_top in files.items() if at_top]
        if distribution not in (core if eager else anywhere):
            where = ", ".join(eager or files)
            missing.append(f"{module} (distribution {distribution}; {where})")
    return missing


def unpinned(requirements: dict[str, list[Requirement]], locked: dict[str, str]) -> list[str]:
    """Requirements (those whose marker holds here) without a pin in the lock, or pinned outside their bounds."""
    problems = []
    for group, reqs in requirements.items():
        for requirement in reqs:
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": group}):
                continue
            version = locked.get(normalise(requirement.name))
            if version is None:
                problems.append(f"{requirement} ({group or 'dependencies'}): no line in constraints.txt")
            elif not requirement.specifier.contains(Version(version), prereleases=True):
                problems.append(f"{requirement} ({group or 'dependencies'}): locked at {version}")
    return problems


@pytest.fixture(scope="module")
def requirements():
    return declared((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_module_the_package_imports_is_declared(requirements):
    imports = third_party_imports(ROOT / "src" / "fairgap", local={"fairgap"})
    assert {"torch", "nbconvert", "jinja2", "traitlets", "jupyter_client"} <= set(imports)   # the scan sees them
    assert undeclared(imports, requirements, lazy=("distributed",)) == []


def test_every_module_the_tests_import_is_declared_for_them(requirements):
    local = {"fairgap"} | {path.stem for path in (ROOT / "tests").glob("*.py")}
    imports = third_party_imports(ROOT / "tests", local=local)
    assert {"pytest", "torch"} <= set(imports)
    assert undeclared(imports, requirements, eager=("", "test")) == []


def test_every_declared_distribution_is_pinned_in_the_lock(requirements):
    assert LOCK.is_file(), "constraints.txt (the lock) is missing"
    locked = pins(LOCK.read_text(encoding="utf-8"))
    assert "fairgap" not in locked   # the project itself is installed from the checkout, never pinned
    assert unpinned(requirements, locked) == []


def test_the_lock_covers_what_the_declared_distributions_install(requirements):
    """Every installed distribution the declared ones pull in (followed through their metadata) is pinned:
    a lock left behind after a dependency changed fails here."""
    locked = pins(LOCK.read_text(encoding="utf-8"))
    todo = [(r, group) for group, reqs in requirements.items() for r in reqs]
    seen, missing = set(), []
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = normalise(requirement.name)
        for wanted in [""] + sorted(requirement.extras):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            try:
                distribution = metadata.distribution(name)
            except metadata.PackageNotFoundError:
                continue   # not installed here (another platform's dependency): nothing to compare
            if name not in locked:
                missing.append(name)
            todo += [(Requirement(line), wanted) for line in distribution.requires or []]
    assert sorted(set(missing)) == []


def test_the_checks_catch_a_missing_declaration_and_pin():
    """The checks above can fail: an import nobody declares, and a declared distribution the lock lacks."""
    requirements = declared('[project]\ndependencies = ["torch>=2.4", "pillow>=10"]\n'
                            '[project.optional-dependencies]\ndistributed = ["dask[distributed]>=2024.1"]\n')
    imports = {"torch": {"a.py": True}, "PIL": {"a.py": True}, "nbconvert": {"report.py": False},
               "dask": {"sweep.py": True}}
    assert undeclared(imports, requirements) == ["dask (distribution dask; sweep.py)",
                                                 "nbconvert (distribution nbconvert; report.py)"]
    assert undeclared({"dask": {"sweep.py": False}}, requirements) == []
    assert undeclared({"dask": {"sweep.py": False}}, requirements, lazy=()) == ["dask (distribution dask; sweep.py)"]
    assert undeclared({"dask": {"sweep.py": True}}, requirements, eager=("", "distributed")) == []
    assert unpinned(requirements, {"torch": "2.14.1", "pillow": "9.0"}) == [
        "pillow>=10 (dependencies): locked at 9.0", "dask[distributed]>=2024.1 (distributed): no line in constraints.txt"]
    with pytest.raises(AssertionError, match="not an exact pin"):
        pins("torch>=2.4\n")
