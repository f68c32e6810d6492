"""The domain stays pure Python so its rules can be tested and reused without a web stack.

Checked twice: on the source text (what each domain file imports), and by importing
in a fresh interpreter (what really gets loaded, `checkout/__init__.py` included,
which hands `create_app` on lazily so that the package itself loads no framework).
The same fresh-interpreter check covers `checkout.webhooks`, which merchants copy.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import checkout

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "checkout" / "domain"
FORBIDDEN = frozenset({"flask", "mongoengine", "pymongo", "requests", "werkzeug"})
# Loaded by nothing that may be imported alone (the domain, the verifier, the package).
HEAVY = FORBIDDEN | {"pydantic"}
# Inside the project, the domain may lean only on itself.
OWN_PACKAGE = "checkout"
OWN_SUBPACKAGE = "checkout.domain"

SOURCES = sorted(DOMAIN.rglob("*.py"))


def imported_modules(tree: ast.AST, path: Path) -> list[tuple[int, str]]:
    """Absolute names of every module the file imports, resolving relative imports."""
    package = ".".join(path.relative_to(DOMAIN.parent.parent).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            found.append((node.lineno, "<dynamic import>"))
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "__import__"
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def test_domain_sources_exist() -> None:
    names = {path.name for path in SOURCES}
    assert {"money.py", "upi.py", "lifecycle.py", "matching.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_domain_imports_no_frameworks(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for line, module in imported_modules(tree, path):
        top = module.split(".")[0]
        if top in FORBIDDEN:
            problems.append(f"{path.name}:{line} imports {module}")
        elif module == "<dynamic import>":
            problems.append(f"{path.name}:{line} imports dynamically")
        elif top == OWN_PACKAGE and not (
            module == OWN_SUBPACKAGE or module.startswith(OWN_SUBPACKAGE + ".")
        ):
            problems.append(f"{path.name}:{line} reaches outside the domain: {module}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_domain_never_converts_to_float(path: Path) -> None:
    # Amounts are paise; a float conversion is where rounding errors start.
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "float"
    ]
    assert not calls, f"{path.name} calls float() on lines {calls}"


def test_checker_catches_forbidden_imports() -> None:
    # The check above would pass vacuously if import detection were broken.
    source = (
        "import flask\n"
        "from werkzeug.exceptions import NotFound\n"
        "import pymongo.errors as e\n"
        "from ..storage import repo\n"
        "from . import money\n"
        "importlib.import_module('flask')\n"
    )
    fake = DOMAIN / "fake.py"
    modules = [module for _, module in imported_modules(ast.parse(source), fake)]
    assert modules == [
        "flask",
        "werkzeug.exceptions",
        "pymongo.errors",
        "checkout.storage",
        "checkout.domain",
        "<dynamic import>",
    ]


def loaded_after(code: str) -> set[str]:
    """Top-level packages a fresh interpreter holds after running `code` (from the repo root)."""
    report = "import sys; print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(result.stdout.split())


DOMAIN_MODULES = "; ".join(
    f"import checkout.domain.{path.stem}" for path in SOURCES if path.stem != "__init__"
)


@pytest.mark.parametrize(
    "code",
    ["import checkout", DOMAIN_MODULES, "import checkout.domain.money", "import checkout.webhooks"],
    ids=["package", "whole-domain", "money", "webhooks"],
)
def test_importing_loads_no_framework(code: str) -> None:
    loaded = loaded_after(code)
    assert "checkout" in loaded
    assert not loaded & HEAVY, f"{code!r} loads {sorted(loaded & HEAVY)}"


def test_the_check_sees_a_framework_when_one_is_loaded() -> None:
    # Without this, a broken report (say, an empty stdout) would pass the check above.
    assert {"flask", "pydantic"} <= loaded_after("from checkout import create_app")


def test_create_app_is_handed_on_from_checkout_app_only_when_asked_for() -> None:
    code = (
        "import sys, checkout\n"
        "assert 'checkout.app' not in sys.modules, 'import checkout loaded the factory'\n"
        "from checkout import create_app\n"
        "assert create_app.__module__ == 'checkout.app', create_app.__module__\n"
    )
    loaded_after(code)  # check=True: a failed assertion fails the run
    # Submodules still import through the package (`from checkout import clock`).
    with pytest.raises(AttributeError, match="no_such_thing"):
        checkout.no_such_thing  # noqa: B018
