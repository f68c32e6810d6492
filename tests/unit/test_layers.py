"""Layers that hold: what a package presents comes from the services, never from storage.

A view that reads documents itself grows its own copy of a rule the services hold
(who may see a checkout, when it expires), so the outer packages may not import
storage at all. Checked on the source text, as the domain-purity test does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.unit.test_domain_purity import ROOT, imported_modules

# package folder -> the packages it must never import, and why.
LAYERS: dict[str, tuple[frozenset[str], str]] = {
    "checkout/api": (
        frozenset({"checkout.storage"}),
        "the API presents what the services give it",
    ),
    "checkout/web": (
        frozenset({"checkout.storage"}),
        "the pay pages show what the services give them",
    ),
    "checkout/providers": (
        frozenset({"checkout.storage", "checkout.services"}),
        "a wallet adapter is handed the one repository it reads, never the store",
    ),
}


def imports(tree: ast.AST, path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, `from package import module` counted as the module."""
    found = imported_modules(tree, path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def _imports(path: Path) -> list[tuple[int, str]]:
    return imports(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), path)


def _within(module: str, packages: frozenset[str]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _sources() -> list[tuple[str, Path]]:
    return [(folder, path) for folder in LAYERS for path in sorted((ROOT / folder).rglob("*.py"))]


@pytest.mark.parametrize(
    ("folder", "path"), _sources(), ids=lambda value: getattr(value, "name", value)
)
def test_outer_packages_never_import_storage(folder: str, path: Path) -> None:
    forbidden, why = LAYERS[folder]
    found: dict[int, str] = {}
    for line, module in _imports(path):
        if _within(module, forbidden):
            found.setdefault(line, module)
    problems = [
        f"{path.relative_to(ROOT)}:{line} imports {module}" for line, module in found.items()
    ]
    assert not problems, f"{why}:\n" + "\n".join(problems)


def test_every_layer_has_sources() -> None:
    # A folder renamed away would make the check above pass with nothing to check.
    assert {folder for folder, _ in _sources()} == set(LAYERS)


def test_the_checker_sees_each_way_of_importing_storage() -> None:
    source = (
        "import checkout.storage.models\n"
        "from checkout.storage.links import DuplicateSlug\n"
        "from checkout import storage\n"
        "from ..storage import store\n"
        "from checkout.services import presenters\n"
    )
    fake = ROOT / "checkout" / "api" / "fake.py"
    modules = imports(ast.parse(source), fake)
    caught = sorted(
        {line for line, module in modules if _within(module, LAYERS["checkout/api"][0])}
    )
    assert caught == [1, 2, 3, 4]
