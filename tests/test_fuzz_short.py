"""The fuzz harnesses (tests/fuzz/, docs/FUZZING.md) in CI: a short bounded libFuzzer round of
every harness, proof that the runner fails and names the input when a decoder breaks, and,
in-process, every harness's seeds and a planted fault per harness family.

The round is ``SEDA_TEST_FUZZ_RUNS`` inputs per harness (2,000 by default: well under two
minutes for all of them on the 2-core CI machine). The long hunt is
``python -m tests.fuzz --seconds 600``.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.fuzz import HARNESSES

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("SEDA_TEST_FUZZ_RUNS", "2000"))


def _runner(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.fuzz", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def test_every_harness_survives_a_short_round(tmp_path: Path) -> None:
    result = _runner(["--runs", str(RUNS), "--artifacts", str(tmp_path)])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("fuzz_")}
    assert set(lines) == set(HARNESSES)
    for harness, line in lines.items():
        assert " ok " in line, line
        runs = int(re.search(r"(\d+) runs", line).group(1))  # type: ignore[union-attr]
        assert runs >= RUNS, line  # the engine ran, not just imported the harness
        cov = int(re.search(r"cov (\d+)", line).group(1))  # type: ignore[union-attr]
        assert cov > 20, f"{harness} reached almost none of our code: {line}"


_PLANTED = """
import crypto.token

_read_digits = crypto.token.read_digits


def _broken(text, count, noun):
    if "99" in text:  # in no seed: the fuzzer must make it
        raise KeyError("planted")
    return _read_digits(text, count, noun)


crypto.token.read_digits = _broken
"""


def test_the_runner_fails_and_names_the_input_when_a_decoder_breaks(tmp_path: Path) -> None:
    # A decoder that raises an untyped error for some inputs, planted in every child process.
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "sitecustomize.py").write_text(_PLANTED, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(planted), str(ROOT)])}
    artifacts = tmp_path / "artifacts"
    result = _runner(["--runs", "2000", "--artifacts", str(artifacts), "fuzz_token"], env=env)
    assert result.returncode == 1, result.stdout
    assert "fuzz_token       FAILED" in result.stdout
    crash = re.search(r"input: (\S+)", result.stdout)
    assert crash is not None, result.stdout
    assert Path(crash.group(1)).is_file()
    log = (artifacts / "fuzz_token.log").read_text("utf-8")
    assert "KeyError: 'planted'" in log
    replay = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.child", "fuzz_token", crash.group(1)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replay.returncode != 0
    assert "KeyError: 'planted'" in replay.stderr + replay.stdout


@pytest.mark.parametrize("harness", HARNESSES)
def test_every_seed_passes_its_harness(harness: str) -> None:
    module = importlib.import_module(f"tests.fuzz.{harness}")
    seeds = module.seeds()
    assert seeds
    for seed in seeds:
        module.TestOneInput(seed)


def _raise_unexpected(*_args: Any, **_kwargs: Any) -> Any:
    raise LookupError("an untyped error a decoder must never raise")


# For each harness, a decoder it feeds (module, name) and a seed index that reaches it.
_FAULTS: dict[str, tuple[str, str, int]] = {
    "fuzz_envelope": ("tests.fuzz.fuzz_envelope", "crypto.open_report", 0),
    "fuzz_sealed": ("tests.fuzz.fuzz_sealed", "crypto.open_message", 0),
    "fuzz_token": ("crypto.slips", "read_digits", 0),
    "fuzz_policy": ("tests.fuzz.fuzz_policy", "parse_policy", 0),
    "fuzz_directory": ("tests.fuzz.fuzz_directory", "decode_signed", 0),
    "fuzz_api_bodies": ("tests.fuzz.fuzz_api_bodies", "plan_submission", -1),
    "fuzz_uploads": ("crypto", "open_chunks", 0),
    "fuzz_kiosk": ("tests.fuzz.fuzz_kiosk", "Device.load", -2),
}


@pytest.mark.parametrize("harness", HARNESSES)
def test_a_harness_lets_an_untyped_error_through(harness: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each harness would report a decoder that raised something undocumented."""
    module = importlib.import_module(f"tests.fuzz.{harness}")
    seeds: list[bytes] = module.seeds()  # made before the fault: some decode on the way
    fault: Callable[[bytes], None] = module.TestOneInput
    module_name, target, seed_index = _FAULTS[harness]
    owner: Any = importlib.import_module(module_name)
    *path, name = target.split(".")
    for part in path:
        owner = getattr(owner, part)
    monkeypatch.setattr(owner, name, _raise_unexpected)
    with pytest.raises(LookupError):
        _feed(fault, [seeds[seed_index], *seeds])


def _feed(harness: Callable[[bytes], None], inputs: list[bytes]) -> None:
    for data in inputs:
        harness(data)


def test_the_harnesses_cover_every_json_body_of_the_app() -> None:
    from tests.fuzz.bodies import minimal_body
    from tests.fuzz.fuzz_api_bodies import body_types, decode_body

    kinds = body_types()
    names = {kind.annotation.__origin__.__name__ for kind in kinds}
    assert {"Submission", "FollowUpRequest", "LookupRequest", "UploadStart", "NewLetter", "SignIn"} <= names
    for kind in kinds:  # each starts from a body the server decodes
        decode_body(kind, msgspec.json.encode(minimal_body(kind.annotation)))
