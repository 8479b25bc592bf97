"""The services package's shape: every published name resolves, and no module of it imports
the SISRUTE front door (compat imports services, never the other way round)."""

import ast
from pathlib import Path

from sigap.referrals import services

PACKAGE = Path(services.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_every_published_name_resolves():
    assert len(set(services.__all__)) == len(services.__all__)
    missing = [name for name in services.__all__ if not hasattr(services, name)]
    assert missing == []


def test_no_services_module_imports_compat():
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if "compat" in m.split("."))
        for path in sorted(PACKAGE.glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
