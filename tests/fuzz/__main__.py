"""Run the fuzz harnesses: ``python -m tests.fuzz [--seconds N | --runs N] [harness ...]``.

Each harness runs in its own process (``tests/fuzz/child.py``) on a fresh temporary corpus
seeded with its valid inputs, one after the other (the machine is small). ``--seconds`` and
``--runs`` bound each harness, not the whole round. A crash, a hang (``--timeout`` seconds on
one input) or memory above ``--rss-limit-mb`` fails the round: the runner names the input
libFuzzer saved, which ``python -m tests.fuzz.child HARNESS FILE`` replays. Exit status 0 only
when every harness finished clean.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz import HARNESSES

_STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.MULTILINE)
_DONE = re.compile(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)", re.MULTILINE)
_ARTIFACTS = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")


@dataclass(frozen=True)
class Outcome:
    harness: str
    returncode: int
    log: Path
    artifacts: list[Path]
    stats: dict[str, int]
    coverage: tuple[int, int, int] | None  # libFuzzer's cov, ft and corpus size at the end

    @property
    def clean(self) -> bool:
        return self.returncode == 0 and not [a for a in self.artifacts if "slow-unit-" not in a.name]

    def summary(self) -> str:
        runs = self.stats.get("number_of_executed_units", 0)
        speed = self.stats.get("average_exec_per_sec", 0)
        cov = "cov {} ft {} corpus {}".format(*self.coverage) if self.coverage else "no coverage line"
        state = "ok" if self.clean else f"FAILED (exit {self.returncode})"
        return f"{self.harness:16} {state:18} {runs:>9} runs {speed:>7}/s  {cov}"


def libfuzzer_flags(args: argparse.Namespace, artifacts: Path, harness: str) -> list[str]:
    flags = [
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-timeout={args.timeout}",
        f"-artifact_prefix={artifacts}/{harness}-",
        "-print_final_stats=1",
        f"-seed={args.seed}",
    ]
    if args.seconds is not None:
        flags.append(f"-max_total_time={args.seconds}")
    if args.runs is not None:
        flags.append(f"-runs={args.runs}")
    return flags


def run_harness(args: argparse.Namespace, harness: str, artifacts: Path) -> Outcome:
    log = artifacts / f"{harness}.log"
    with tempfile.TemporaryDirectory(prefix=f"seda-fuzz-{harness}-") as corpus:
        command = [
            sys.executable,
            "-m",
            "tests.fuzz.child",
            harness,
            *libfuzzer_flags(args, artifacts, harness),
            corpus,
        ]
        with log.open("wb") as output:
            returncode = subprocess.run(
                command, stdout=output, stderr=subprocess.STDOUT, check=False
            ).returncode
    text = log.read_text("utf-8", errors="replace")
    done = _DONE.findall(text)
    return Outcome(
        harness=harness,
        returncode=returncode,
        log=log,
        artifacts=sorted(
            p for p in artifacts.glob(f"{harness}-*") if p.name.split("-", 1)[1].startswith(_ARTIFACTS)
        ),
        stats={name: int(value) for name, value in _STAT.findall(text)},
        coverage=tuple(int(n) for n in done[-1][1:]) if done else None,  # type: ignore[arg-type]
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument("--seconds", type=int, help="fuzz each harness this long")
    bound.add_argument("--runs", type=int, help="run each harness on this many inputs")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take (a hang)")
    parser.add_argument("--rss-limit-mb", type=int, default=2048, help="memory one harness may use")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed (0: a fresh one)")
    parser.add_argument(
        "--artifacts", type=Path, help="where logs and crashing inputs go (default: a new temp dir)"
    )
    parser.add_argument("harness", nargs="*", help=f"default: all of {', '.join(HARNESSES)}")
    args = parser.parse_args(argv)
    unknown = set(args.harness) - set(HARNESSES)
    if unknown:
        parser.error(f"unknown harness: {', '.join(sorted(unknown))}")
    if args.seconds is None and args.runs is None:
        args.runs = 5000
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    artifacts: Path = args.artifacts or Path(tempfile.mkdtemp(prefix="seda-fuzz-artifacts-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for harness in args.harness or HARNESSES:
        outcome = run_harness(args, harness, artifacts)
        print(outcome.summary(), flush=True)  # noqa: T201 (the runner's report)
        outcomes.append(outcome)
    failed = [outcome for outcome in outcomes if not outcome.clean]
    for outcome in failed:
        print(f"\n{outcome.harness} failed; log: {outcome.log}")  # noqa: T201
        for artifact in outcome.artifacts:
            print(f"  input: {artifact}  (replay: python -m tests.fuzz.child {outcome.harness} {artifact})")  # noqa: T201
    print(f"logs in {artifacts}")  # noqa: T201
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
