"""``seda keys``: create the root key, sign a directory, verify it against the pinned key only."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

import crypto
from server.cli import cli

VECTORS = json.loads((Path(__file__).parent / "vectors" / "protocol-v1.json").read_text("utf-8"))


def _current_directory() -> dict[str, object]:
    """The vector directory, re-dated around today (the CLI checks validity against the clock)."""
    document: dict[str, object] = json.loads(base64.b64decode(VECTORS["directory"]["signed"]["document"]))
    now = datetime.now(UTC)
    document["issued_at"] = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document["expires_at"] = (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return document


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_root_key_sign_and_verify_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "root.key"
    code, output = _run("keys", "create-root", "--out", str(root))
    assert code == 0
    assert (root.stat().st_mode & 0o777) == 0o600
    seed = bytes.fromhex(root.read_text().strip())
    public = crypto.root_public_key(seed).hex()
    assert public in output
    assert seed.hex() not in output

    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(_current_directory()))
    signed = tmp_path / "signed.json"
    assert (
        _run("keys", "sign-directory", str(directory), "--root-key", str(root), "--out", str(signed))[0] == 0
    )
    code, output = _run("keys", "verify-directory", str(signed), "--root-public", public)
    assert code == 0
    assert "serial 7" in output
    code, _ = _run("keys", "verify-directory", str(signed), "--root-public", public, "--min-serial", "8")
    assert code == 1
    other = crypto.root_public_key(bytes(32)).hex()
    assert _run("keys", "verify-directory", str(signed), "--root-public", other)[0] == 1


def test_create_root_never_overwrites(tmp_path: Path) -> None:
    root = tmp_path / "root.key"
    root.write_text("precious")
    code, _ = _run("keys", "create-root", "--out", str(root))
    assert code == 2
    assert root.read_text() == "precious"


def test_a_directory_with_a_wrong_key_id_is_not_signed(tmp_path: Path) -> None:
    root = tmp_path / "root.key"
    _run("keys", "create-root", "--out", str(root))
    document = _current_directory()
    document["bodies"][0]["key_id"] = base64.b64encode(bytes(16)).decode()  # type: ignore[index]
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(document))
    code, _ = _run(
        "keys", "sign-directory", str(directory), "--root-key", str(root), "--out", str(tmp_path / "s")
    )
    assert code == 1
    assert not (tmp_path / "s").exists()


def test_sign_policy_checks_the_policy_and_prints_its_directory_reference(tmp_path: Path) -> None:
    root = tmp_path / "root.key"
    _run("keys", "create-root", "--out", str(root))
    policy = Path(__file__).resolve().parent.parent / "routing" / "policies" / "default.toml"
    signed = tmp_path / "policy.signed.json"
    code, output = _run("keys", "sign-policy", str(policy), "--root-key", str(root), "--out", str(signed))
    assert code == 0
    assert '"version":"2026.1"' in output
    assert _run("keys", "sign-policy", str(policy), "--root-key", str(root), "--out", str(signed))[0] == 2
    broken = tmp_path / "broken.toml"
    broken.write_bytes(policy.read_bytes().replace(b'reason = "security"', b'reason = "nonsense"'))
    code, output = _run(
        "keys", "sign-policy", str(broken), "--root-key", str(root), "--out", str(tmp_path / "b")
    )
    assert code == 1
    assert "format" in output
