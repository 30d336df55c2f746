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


# The core's layers, lowest first. A module may import its own package and any lower layer,
# never its own layer's other packages or a higher one. ARCHITECTURE.md draws the same picture.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "records", "metrics", "progress"}),
    frozenset({"config", "notices", "modlog", "store"}),
    frozenset({"safety", "criteria", "limits", "review", "stats", "audit", "retention"}),
    frozenset({"policy", "assistant", "adapter", "quotas"}),
    frozenset({"runtime"}),
    frozenset({"app", "replay", "report"}),
    frozenset({"cli"}),
    frozenset({"__main__"}),
)
# Inside the conductor, each stage may use only the stages below it (see bot/runtime/__init__.py).
RUNTIME_STAGES: tuple[frozenset[str], ...] = (
    frozenset({"wiring", "lanes"}),
    frozenset({"delivery"}),
    frozenset({"turn", "requests"}),
    frozenset({"inbox"}),
    frozenset({"conductor"}),
    frozenset({"__init__"}),
)
# What an adapter may import from the core: its public modules, and no private name in them.
PUBLIC_CORE = frozenset(
    {
        "bot",
        "bot.adapter",
        "bot.config",
        "bot.errors",
        "bot.metrics",
        "bot.modlog",
        "bot.notices",
        "bot.records",
        "bot.review",
        "bot.runtime",
        "bot.store.base",
    }
)


def runtime_imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Absolute imports a module makes when it runs (not those under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.extend((a.name, ()) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, tuple(a.name for a in node.names)))
    return found


def layer_of(name: str, layers: tuple[frozenset[str], ...]) -> int:
    """The index of the layer that holds a part, or a failure naming the unplaced part."""
    for i, layer in enumerate(layers):
        if name in layer:
            return i
    raise AssertionError(f"{name!r} is in no layer: add it to LAYERS and to ARCHITECTURE.md")


def test_core_modules_import_only_lower_layers() -> None:
    """No module of bot/ imports a part of the core at its own layer or above it."""
    upward = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        part = path.relative_to(ROOT / "bot").parts[0].removesuffix(".py")
        if part == "__init__":
            continue  # bot/__init__.py is empty
        mine = layer_of(part, LAYERS)
        for module, names in runtime_imports(path):
            targets = [module] + [f"{module}.{n}" for n in names] if module == "bot" else [module]
            for target in targets:
                pieces = target.split(".")
                if pieces[0] != "bot" or len(pieces) < 2 or pieces[1] == part:
                    continue
                if layer_of(pieces[1], LAYERS) >= mine:
                    upward.append(f"{path.relative_to(ROOT)} imports {target}")
    assert upward == []


def test_runtime_stages_import_only_earlier_stages() -> None:
    """Inside bot/runtime/, a stage uses only the stages below it; nothing imports the face."""
    upward = []
    for path in sorted((ROOT / "bot" / "runtime").glob("*.py")):
        mine = layer_of(path.stem, RUNTIME_STAGES)
        for module, _ in runtime_imports(path):
            if module.startswith("bot.runtime."):
                stage = module.split(".")[2]
                if layer_of(stage, RUNTIME_STAGES) >= mine:
                    upward.append(f"{path.name} imports {module}")
    assert upward == []


def test_adapters_import_only_public_core_names() -> None:
    """Adapters use the core's public modules and names, never a private one or an internal."""
    offenders = []
    for path in sorted((ROOT / "adapters").rglob("*.py")):
        for module, names in runtime_imports(path):
            if module.split(".")[0] != "bot":
                continue
            if module == "bot":
                # `from bot import review` imports the module bot.review: judge it by that name.
                offenders.extend(
                    f"{path.relative_to(ROOT)} imports bot.{n}"
                    for n in names
                    if f"bot.{n}" not in PUBLIC_CORE
                )
                continue
            if module not in PUBLIC_CORE:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
            offenders.extend(
                f"{path.relative_to(ROOT)} imports {module}.{n}" for n in names if n.startswith("_")
            )
    assert offenders == []
