import ast
from pathlib import Path

import pytest

import app.analysis

MODULES = sorted(Path(app.analysis.__file__).parent.glob("*.py"))


def imported_names(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ""


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_analysis_modules_stay_pure_with_no_flask_database_or_pyplot(path):
    forbidden = ("flask", "app.extensions", "app.models", "sqlalchemy", "matplotlib.pyplot")
    assert not [name for name in imported_names(path) if name.startswith(forbidden)]


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "__init__.py"], ids=lambda p: p.name)
def test_every_analysis_module_declares_its_public_names(path):
    tree = ast.parse(path.read_text())
    assert ast.get_docstring(tree), "module opens with a docstring"
    assert any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
               for node in tree.body)
