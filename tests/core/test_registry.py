"""Core names no capability: the apps register their menus, landing pages, demos, benchmarks
and simulations themselves (sigap.core.nav, sigap.core.registry), and no app's demo imports
the demo command's package."""

import re
from pathlib import Path

import sigap
from sigap.core import nav, registry

SIGAP = Path(sigap.__file__).parent
CAPABILITIES = ("beds", "emergency", "referrals", "homecare", "coverage", "nutrition", "demo")


def _code(path: Path) -> str:
    """The file without comments and docstring lines, where names in prose are fine."""
    text = re.sub(r'"""(?:.|\n)*?"""', "", path.read_text())
    return "\n".join(line.split("#")[0] for line in text.splitlines())


def test_core_names_no_capability():
    named = re.compile(r"""(sigap\.({0})\b|["']({0})[:."'])""".format("|".join(CAPABILITIES)))
    hits = [
        f"{path.relative_to(SIGAP)}: {m.group(0)}"
        for path in (SIGAP / "core").rglob("*.py")
        if "migrations" not in path.parts
        for m in named.finditer(_code(path))
    ]
    assert hits == []


def test_no_app_imports_the_demo_command_package():
    imports = re.compile(r"^\s*(from|import) sigap\.demo\b", re.M)
    hits = [
        str(path.relative_to(SIGAP))
        for path in SIGAP.rglob("*.py")
        if path.relative_to(SIGAP).parts[0] != "demo" and imports.search(path.read_text())
    ]
    assert hits == []


def test_the_apps_registered_their_parts():
    assert [d.app_label for d in registry.demos()] == [
        "beds", "coverage", "referrals", "emergency", "homecare", "nutrition", "access"
    ]  # fmt: skip
    assert set(registry.benchmarks()) == {
        "beds", "emergency", "referrals", "homecare", "coverage", "nutrition",
        "nutrition-quality", "access-indicators", "access-sites",
    }  # fmt: skip
    assert set(registry.simulations()) == {"emergency", "referrals"}
    assert nav.landing() == "beds:board"
    assert [name for name, _label in nav.entries(nav.PUBLIC)] == [
        "beds:board", "emergency:sos", "coverage:check", "homecare:request_form"
    ]  # fmt: skip
    assert [name for name, _label in nav.entries(nav.OFFICE)] == [
        "monitoring:situation", "monitoring:report", "beds:office", "emergency:report",
        "referrals:office",
        "coverage:dashboard", "nutrition:dashboard", "nutrition:mch", "access:map",
    ]  # fmt: skip
