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
