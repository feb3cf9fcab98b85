"""``seda keys``: the offline root key and the signed key directory (docs/PROTOCOL.md §7).

Run ``create-root`` and ``sign-directory`` on the offline machine of the key ceremony
(docs/PROTOCOL.md §7); only the *signed* directory and the root *public* key ever travel
to the server and the clients.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.markup import escape

import crypto
from crypto.directory import decode_signed, encode_signed
from crypto.primitives import key_id, xwing_public
from routing.errors import PolicyError
from routing.policy import parse_policy

keys_cli = typer.Typer(help="Root key and signed key directory.", no_args_is_help=True)
console = Console(stderr=True)


def _read_root_seed(path: Path) -> bytes:
    try:
        seed = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        console.print(f"[red]Cannot read a root key from {path}.[/red]")
        raise typer.Exit(2) from None
    if len(seed) != 32:
        console.print(f"[red]{path} does not hold a 32-byte root key.[/red]")
        raise typer.Exit(2)
    return seed


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        console.print(f"[red]Cannot read {path}.[/red]")
        raise typer.Exit(2) from None


@keys_cli.command("create-root")
def create_root(
    out: Annotated[Path, typer.Option(help="Where to write the root private key (offline medium).")],
) -> None:
    """Create the offline root signing key; prints the public key that clients pin."""
    seed = crypto.new_seed()
    _write_new(out, (seed.hex() + "\n").encode("ascii"), mode=0o600)
    public = crypto.root_public_key(seed)
    console.print(f"Root key written to {out} (keep it offline).")
    typer.echo(f"root public key: {public.hex()}")
    typer.echo(f"root key id:     {crypto.root_key_id(public).hex()}")


@keys_cli.command("sign-directory")
def sign_directory(
    directory: Annotated[Path, typer.Argument(help="The key directory (JSON) to sign.")],
    root_key: Annotated[Path, typer.Option(help="The root private key file.")],
    out: Annotated[Path, typer.Option(help="Where to write the signed directory.")],
) -> None:
    """Check and sign a key directory with the root key."""
    seed = _read_root_seed(root_key)
    try:
        parsed = msgspec.json.decode(_read(directory), type=crypto.KeyDirectory)
        signed = crypto.sign_directory(parsed, seed)
    except (msgspec.ValidationError, msgspec.DecodeError, crypto.CryptoError) as error:
        console.print(f"[red]Not a valid key directory:[/red] {type(error).__name__}")
        raise typer.Exit(1) from None
    _write_new(out, encode_signed(signed))
    typer.echo(f"signed directory serial {parsed.serial} with {len(parsed.bodies)} bodies → {out}")


@keys_cli.command("sign-policy")
def sign_policy(
    policy_file: Annotated[Path, typer.Argument(help="The routing policy (TOML) to sign.")],
    root_key: Annotated[Path, typer.Option(help="The root private key file.")],
    out: Annotated[Path, typer.Option(help="Where to write the signed policy.")],
) -> None:
    """Check and sign a routing policy; prints the reference to put in the next directory."""
    seed = _read_root_seed(root_key)
    data = _read(policy_file)
    try:
        policy = parse_policy(data)
    except PolicyError as error:
        console.print(f"[red]The policy is refused:[/red] {escape(str(error))}")
        raise typer.Exit(1) from None
    _write_new(out, encode_signed(crypto.sign_document("policy", data, seed)))
    reference = crypto.PolicyReference(version=policy.version, sha256=policy.sha256)
    typer.echo(f"signed policy {policy.version} → {out}")
    typer.echo(f'directory "policy": {msgspec.json.encode(reference).decode()}')


def _write_new(path: Path, data: bytes, mode: int = 0o644) -> None:
    # Keys and signed files are the products of a ceremony: never overwrite one silently.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        console.print(f"[red]{path} exists; refusing to overwrite it.[/red]")
        raise typer.Exit(2) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


@keys_cli.command("verify-directory")
def verify_directory(
    signed_file: Annotated[Path, typer.Argument(help="The signed directory (JSON).")],
    root_public: Annotated[str, typer.Option(help="The pinned root public key (hex).")],
    min_serial: Annotated[int, typer.Option(help="Refuse directories older than this serial.")] = 1,
) -> None:
    """Verify a signed directory against the pinned root key, valid now; exit 1 if it fails."""
    try:
        pinned = bytes.fromhex(root_public)
        signed = decode_signed(_read(signed_file))
        result = crypto.verify_directory(signed, pinned, now=datetime.now(UTC), min_serial=min_serial)
    except (ValueError, crypto.CryptoError):
        console.print("[red]The directory does NOT verify against the pinned root key.[/red]")
        raise typer.Exit(1) from None
    typer.echo(
        f"valid: serial {result.serial}, {len(result.bodies)} bodies, "
        f"issued {result.issued_at}, expires {result.expires_at}"
    )


@keys_cli.command("rotate-body-key")
def rotate_body_key(  # noqa: PLR0917 (typer maps each parameter to a command-line option)
    signed_file: Annotated[Path, typer.Argument(help="The signed directory now published.")],
    root_public: Annotated[str, typer.Option(help="The pinned root public key (hex).")],
    body: Annotated[str, typer.Option(help="The code of the body whose key is rotated.")],
    public_key: Annotated[
        str, typer.Option(help="The body's new public key (base64), from its administrator.")
    ],
    out: Annotated[Path, typer.Option(help="Where to write the next directory (JSON, unsigned).")],
    days: Annotated[int, typer.Option(min=1, max=366, help="How long the next directory is valid.")] = 60,
) -> None:
    """The next directory with one body's key replaced (docs/KEYS.md): serial + 1, issued now.

    Prints the new key's fingerprint for the ceremony to compare with the one the body
    administrator's device showed when it made the key; sign the output with sign-directory.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        current = crypto.verify_directory(
            decode_signed(_read(signed_file)), bytes.fromhex(root_public), now=now
        )
        new_key = base64.b64decode(public_key, validate=True)
        entry = next(e for e in current.bodies if e.body == body)
        renewed = _replace_key(current, entry, new_key, now, days)
    except (ValueError, crypto.CryptoError):
        console.print("[red]The directory does not verify, or the new public key is not an X-Wing key.[/red]")
        raise typer.Exit(1) from None
    except StopIteration:
        console.print(f"[red]The directory has no body {escape(body)}.[/red]")
        raise typer.Exit(1) from None
    if new_key == entry.public_key:
        console.print("[red]That is the body's current key: a rotation needs a new one.[/red]")
        raise typer.Exit(1)
    if any(other.public_key == new_key for other in renewed.bodies if other.body != body):
        # Two bodies sharing a key read each other's reports; the fingerprint check at the
        # ceremony compares with the administrator's own device and would not notice.
        console.print("[red]That key belongs to another body in the directory.[/red]")
        raise typer.Exit(1)
    _write_new(out, msgspec.json.encode(renewed))
    typer.echo(
        f"directory serial {renewed.serial}: {body} key {entry.key_id.hex()} → {key_id(new_key).hex()}"
    )
    typer.echo(
        f"new key fingerprint (compare with the administrator's device): {crypto.key_fingerprint(new_key)}"
    )


def _replace_key(
    current: crypto.KeyDirectory, entry: crypto.DirectoryEntry, new_key: bytes, now: datetime, days: int
) -> crypto.KeyDirectory:
    xwing_public(new_key)  # KeyFormatError unless it is a loadable X-Wing public key
    replaced = msgspec.structs.replace(entry, public_key=new_key, key_id=key_id(new_key))
    return msgspec.structs.replace(
        current,
        serial=current.serial + 1,
        issued_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        expires_at=(now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        bodies=[replaced if e.body == entry.body else e for e in current.bodies],
    )
