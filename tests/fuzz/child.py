"""One harness under libFuzzer: ``python -m tests.fuzz.child NAME [libFuzzer flags] [CORPUS ...]``.

Sedā's packages are imported inside ``atheris.instrument_imports`` so that libFuzzer sees
coverage of our code (and not of Litestar's or SQLAlchemy's). The harness's seeds are written
into the first corpus directory before fuzzing starts. Given files instead of directories,
libFuzzer runs just those inputs: that is how a crash is reproduced.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

INSTRUMENTED = ["crypto", "routing", "server", "kiosk_client", "tests.fuzz"]


def write_seeds(corpus: Path, seeds: list[bytes]) -> None:
    for number, seed in enumerate(seeds):
        (corpus / f"seed-{number:03d}").write_bytes(seed)


def main() -> None:
    name, flags = sys.argv[1], sys.argv[2:]
    with atheris.instrument_imports(include=INSTRUMENTED):
        harness = importlib.import_module(f"tests.fuzz.{name}")
    directories = [Path(arg) for arg in flags if not arg.startswith("-") and Path(arg).is_dir()]
    if directories and not any(directories[0].iterdir()):
        write_seeds(directories[0], harness.seeds())
    atheris.Setup([sys.argv[0], *flags], harness.TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
