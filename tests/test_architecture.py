"""The pure core (crypto/, routing/) imports no edge and no framework — enforced, and the rule bites."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _run(config: Path, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_project_keeps_its_import_contracts() -> None:
    result = _run(ROOT / "pyproject.toml", ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contract_fails_when_the_core_imports_a_framework(tmp_path: Path) -> None:
    for package in ("crypto", "routing", "server", "kiosk_client"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "routing" / "leak.py").write_text("import sqlalchemy\n")
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = [
        "[importlinter]",
        "root_packages =\n    " + "\n    ".join(settings["root_packages"]),
        "include_external_packages = True",
    ]
    for number, contract in enumerate(settings["contracts"]):
        lines += [
            f"[importlinter:contract:{number}]",
            f"name = {contract['name']}",
            f"type = {contract['type']}",
            "source_modules =\n    " + "\n    ".join(contract["source_modules"]),
            "forbidden_modules =\n    " + "\n    ".join(contract["forbidden_modules"]),
        ]
    config = tmp_path / ".importlinter"
    config.write_text("\n".join(lines) + "\n")
    result = _run(config, tmp_path, tmp_path)
    assert result.returncode != 0
    assert "routing.leak -> sqlalchemy" in result.stdout


# The pure core may not reach the outside world or read the clock by itself (STYLE.md).
# os is allowed only for os.urandom, as a replaceable default for randomness.
FORBIDDEN_IMPORTS = {
    "socket",
    "http",
    "urllib",
    "requests",
    "subprocess",
    "shutil",
    "pathlib",
    "io",
    "sqlite3",
}
FORBIDDEN_CALLS = {"open", "print", "input"}
FORBIDDEN_ATTRIBUTES = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def _core_modules() -> list[Path]:
    return sorted(path for package in ("crypto", "routing") for path in (ROOT / package).rglob("*.py"))


def _violations(path: Path, root: Path = ROOT) -> list[str]:
    import ast

    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            )
            found += [f"imports {n}" for n in names if n.split(".")[0] in FORBIDDEN_IMPORTS]
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                found += [f"imports os.{a.name}" for a in node.names if a.name != "urandom"]
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS
        ):
            found.append(f"calls {node.func.id}()")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in FORBIDDEN_ATTRIBUTES:
                found.append(f"reads {node.value.id}.{node.attr}")
            if node.value.id == "os" and node.attr != "urandom":
                found.append(f"uses os.{node.attr}")
    return [f"{path.relative_to(root)}: {item}" for item in found]


def test_the_core_does_no_io_and_reads_no_clock() -> None:
    problems = [problem for path in _core_modules() for problem in _violations(path)]
    assert not problems


def test_the_purity_check_catches_io_and_clocks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    lines = ["import socket", "from datetime import datetime", "x = datetime.now()", "open('f')", "import os"]
    bad.write_text("\n".join([*lines, "os.getenv('X')"]) + "\n")
    assert len(_violations(bad, tmp_path)) == 4
