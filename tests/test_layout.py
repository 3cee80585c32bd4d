"""The layout of issue 19: the shared machinery sits below the studies (one module per notebook) and never
imports one; a figure module of ``fairgap.plots`` may import only the study of its own name."""

import ast
from pathlib import Path

import fairgap

PACKAGE = Path(fairgap.__file__).parent


def imported_modules(path: Path, source: str | None = None) -> set[str]:
    """The absolute names of the fairgap modules ``path`` imports (relative imports resolved; from-imports
    also as ``module.name``, since ``from fairgap.studies import f2_strength`` imports a submodule)."""
    parts = ("fairgap", *path.relative_to(PACKAGE).with_suffix("").parts)
    package = parts if path.name == "__init__.py" else parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text() if source is None else source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] + ((node.module,) if node.module else ())) \
                if node.level else node.module
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "fairgap" or name.startswith("fairgap.")}


def test_nothing_below_the_studies_imports_a_study():
    studies = {path.stem for path in (PACKAGE / "studies").glob("f*.py")}
    assert {"f0_classical", "f1_overfits", "f5_verification", "f8_capacity_family"} <= studies
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent == PACKAGE / "studies":
            continue
        allowed = {f"fairgap.studies.{path.stem}"} if path.parent == PACKAGE / "plots" else set()
        for name in imported_modules(path):
            study = ".".join(name.split(".")[:3])   # fairgap.studies.<module>, without the name taken from it
            if (name == "fairgap.studies" or name.startswith("fairgap.studies.")) and study not in allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not wrong, "modules below the studies import a study: " + "; ".join(wrong)


def test_the_check_resolves_relative_imports():
    assert "fairgap.studies.f2_strength" in imported_modules(PACKAGE / "profiles.py", "from .studies import f2_strength")
    assert "fairgap.studies.f1_overfits" in imported_modules(PACKAGE / "plots" / "f2_strength.py",
                                                             "from ..studies.f1_overfits import scale")
    assert "fairgap.studies" in imported_modules(PACKAGE / "claims" / "__init__.py", "import fairgap.studies")
