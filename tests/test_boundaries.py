"""The architecture stays visible: no platform SDK in the core; one module imports anthropic."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_SDKS = {"discord", "slack_bolt", "slack_sdk", "aiohttp"}


def imports(path: Path) -> set[str]:
    """Top-level package names a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_a_platform_sdk() -> None:
    """Nothing in bot/ imports discord, slack_bolt, slack_sdk (or a web framework)."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(imports(p) & PLATFORM_SDKS)
        for p in (ROOT / "bot").rglob("*.py")
        if imports(p) & PLATFORM_SDKS
    }
    assert offenders == {}


def test_core_never_imports_an_adapter() -> None:
    """The core does not depend on its adapters (the CLI wires them in lazily)."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "bot").rglob("*.py")
        if "adapters" in imports(p) and p.relative_to(ROOT).as_posix() != "bot/cli/run.py"
    ]
    assert offenders == []


def test_at_most_one_module_imports_anthropic() -> None:
    """The Claude client is the only place that talks to the SDK."""
    users = [p for p in (ROOT / "bot").rglob("*.py") if "anthropic" in imports(p)]
    assert len(users) <= 1, users


def test_policy_is_pure() -> None:
    """No module of the policy package imports anything that does I/O or keeps time."""
    modules = sorted((ROOT / "bot" / "policy").glob("*.py"))
    assert modules, "bot/policy/ is a package"
    impure = {"asyncio", "aiosqlite", "sqlite3", "time", "os", "socket", "random"}
    offenders = {p.name: sorted(imports(p) & impure) for p in modules if imports(p) & impure}
    assert offenders == {}
