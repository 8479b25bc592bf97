"""Import direction between SIGAP's apps (docs/architecture.md).

core <- regions <- facilities <- capabilities; a capability uses another only through the
callables and classes its `services` package publishes (or its `signals` / `contracts`), never
through its models, selectors, charts, compat modules, private names, data tables or a module
path written as a string. The project wiring (sigap/api.py, urls.py, settings.py, cli.py,
wsgi.py) and the demo orchestrator (sigap/demo) may import anything.

KNOWN is for debt a change knowingly leaves (each entry a crossing that exists; empty today).
A new crossing fails the test, and so does an entry that no longer exists (remove it), so the
list can only shrink.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "sigap"
FOUNDATION = {"core": set(), "regions": {"core"}, "facilities": {"core", "regions"}}
WIRING_APPS = {"demo"}
PUBLISHED = {"services", "signals", "contracts"}
# Reader apps (DESIGN.md): they change nothing of another capability and may also use the
# read side, its `selectors`.
READERS = {"fhir": {"selectors"}, "monitoring": {"selectors"}}

# (importing app, module it reaches into, name or "*" for the module itself)
KNOWN: set[tuple[str, str, str]] = set()


def _apps() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/apps.py")}


def _capabilities() -> set[str]:
    return _apps() - set(FOUNDATION) - WIRING_APPS


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if len(rel.parts) < 2 or "migrations" in rel.parts:
            continue  # project wiring, or migrations (which name apps by label anyway)
        yield rel.parts[0], path


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = _module_of(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path, source: str):
    """(module, name or '*', line) for every import in the file, plus alias.attr uses of
    imported modules (so `services._helper` and `services.TABLE` are seen too)."""
    tree = ast.parse(source, filename=str(path))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, "*", node.lineno
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else ""
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path)
            for a in node.names:
                full = f"{module}.{a.name}"
                if _is_module(full):
                    yield full, "*", node.lineno
                    aliases[a.asname or a.name] = full
                else:
                    yield module, a.name, node.lineno
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and aliases.get(node.value.id)
        ):
            yield aliases[node.value.id], node.attr, node.lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = re.fullmatch(r"sigap\.([a-z_]+)(\.[a-z_.]+)?", node.value)
            if m and m.group(1) in _apps():
                yield node.value, "<string>", node.lineno


def _is_module(name: str) -> bool:
    if not name.startswith("sigap."):
        return False
    rel = ROOT.parent / Path(*name.split("."))
    return rel.with_suffix(".py").exists() or (rel / "__init__.py").exists()


def _published_callable(module: str, name: str) -> bool:
    obj = getattr(importlib.import_module(module), name, None)
    return not name.startswith("_") and (inspect.isclass(obj) or callable(obj))


def crossings() -> dict[tuple[str, str, str], list[str]]:
    """Every import that breaks the direction rule, with where it happens."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for app, path in _sources():
        for key, where in _crossings_in(app, path, path.read_text()):
            found.setdefault(key, []).append(where)
    return found


def _crossings_in(app: str, path: Path, source: str):
    caps = _capabilities()
    if app in WIRING_APPS:
        return
    for module, name, line in _imports(path, source):
        parts = module.split(".")
        if parts[0] != "sigap" or len(parts) < 2 or parts[1] == app:
            continue
        target = parts[1]
        if target in WIRING_APPS:
            bad = True
        elif app in FOUNDATION:
            bad = target not in FOUNDATION[app]
        elif target in FOUNDATION:
            bad = name == "<string>"
        elif target in caps:
            published = len(parts) == 3 and parts[2] in PUBLISHED | READERS.get(app, set())
            if name == "<string>" or not published:
                bad = True
            else:
                bad = (
                    name != "*" and parts[2] == "services" and not _published_callable(module, name)
                )
        else:
            bad = False
        if bad:
            yield (app, module, name), f"{path.relative_to(ROOT.parent)}:{line}"


def test_apps_are_known():
    assert {"core", "regions", "facilities", "demo"} <= _apps()
    assert {"beds", "emergency", "referrals", "homecare"} <= _capabilities()


def test_no_new_crossing_between_apps():
    new = {k: v for k, v in crossings().items() if k not in KNOWN}
    assert not new, "imports against the direction rule (docs/architecture.md):\n" + "\n".join(
        f"  {app} -> {module} [{name}] at {', '.join(where)}"
        for (app, module, name), where in sorted(new.items())
    )


def test_known_debt_only_shrinks():
    gone = KNOWN - set(crossings())
    assert not gone, f"these crossings are gone: remove them from KNOWN: {sorted(gone)}"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from sigap.referrals.models import Referral", ("referrals.models", "Referral")),
        ("from sigap.referrals import selectors", ("referrals.selectors", "*")),
        ("from sigap.referrals.services import TRANSITIONS", ("referrals.services", "TRANSITIONS")),
        ("from sigap.referrals import services\nservices._lock(1)",
         ("referrals.services", "_lock")),
        ("import importlib\nimportlib.import_module('sigap.referrals.services')",
         ("referrals.services", "<string>")),
        ("from sigap.demo.services import demo_rng", ("demo.services", "demo_rng")),
    ],
)  # fmt: skip
def test_the_rule_sees_each_kind_of_crossing(source, expected):
    """The scanner itself: each kind of crossing, planted in a home-care module, is reported."""
    path = ROOT / "homecare" / "probe.py"
    found = {key for key, _ in _crossings_in("homecare", path, source + "\n")}
    module, name = expected
    assert ("homecare", f"sigap.{module}", name) in found


def test_published_functions_and_foundation_models_are_allowed():
    source = (
        "from sigap.referrals import services\nservices.send_referral\n"
        "from sigap.facilities.models import Facility\nfrom sigap.core.services import Actor\n"
    )
    assert not list(_crossings_in("homecare", ROOT / "homecare" / "probe.py", source))


def test_reader_apps_may_use_selectors_and_nothing_more():
    source = "from sigap.referrals import selectors\n"
    assert not list(_crossings_in("fhir", ROOT / "fhir" / "probe.py", source))
    found = {
        k
        for k, _ in _crossings_in(
            "fhir", ROOT / "fhir" / "probe.py", "from sigap.referrals.models import Referral\n"
        )
    }
    assert ("fhir", "sigap.referrals.models", "Referral") in found
    assert list(_crossings_in("homecare", ROOT / "homecare" / "probe.py", source))


def test_foundation_imports_no_capability():
    path = ROOT / "core" / "probe.py"
    found = {k for k, _ in _crossings_in("core", path, "from sigap.beds import services\n")}
    assert ("core", "sigap.beds.services", "*") in found
