"""Argon2id cost of the token and officer parameter sets, in Python and in headless Chromium.

Both run on this machine in the same run, so the ratio Chromium / Python is meaningful even
when absolute times drift; docs/PROTOCOL.md §5 quotes the result. Phones and cheap kiosks
are several times slower than this machine: the chosen sets keep a phone around a second.

Run: ``make bench`` (or ``.venv/bin/python -m benchmarks.argon2_params --runs 5``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from crypto.derive import OFFICER_PARAMS_V1, TOKEN_PARAMS_V1, Argon2Params, argon2id
from tests.browser import CHROMIUM, CHROMIUM_ARGS, protocol_test_site, serve_directory

CANDIDATES = {
    "19 MiB, t=2 (OWASP minimum)": Argon2Params(memory_kib=19 * 1024, iterations=2),
    "64 MiB, t=2 (token v1)": TOKEN_PARAMS_V1,
    "64 MiB, t=3 (officer v1)": OFFICER_PARAMS_V1,
}
SECRET = b"12345678901234567891"
SALT = b"seda/v1/tracking-token-salt"


def python_ms(params: Argon2Params, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        argon2id(SECRET, SALT, params)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def chromium_ms(runs: int) -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        site = protocol_test_site(Path(folder))
        with serve_directory(site) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("window.seda !== undefined", timeout=60_000)
            for name, params in CANDIDATES.items():
                results[name] = page.evaluate(
                    """async ({params, runs}) => {
                        const enc = new TextEncoder();
                        const times = [];
                        for (let i = 0; i < runs; i++) {
                            const t = performance.now();
                            await window.seda.argon2(enc.encode("12345678901234567891"),
                                                     enc.encode("seda/v1/tracking-token-salt"), params);
                            times.push(performance.now() - t);
                        }
                        times.sort((a, b) => a - b);
                        return times[Math.floor(times.length / 2)];
                    }""",
                    {
                        "params": {
                            "memory_kib": params.memory_kib,
                            "iterations": params.iterations,
                            "lanes": params.lanes,
                        },
                        "runs": runs,
                    },
                )
            browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median reported)")
    runs = max(1, min(parser.parse_args().runs, 20))
    browser = chromium_ms(runs)
    print(f"Argon2id, median of {runs} runs, this machine")
    print(f"{'parameters':32} {'Python ms':>10} {'Chromium ms':>12} {'ratio':>6}")
    for name, params in CANDIDATES.items():
        native = python_ms(params, runs)
        print(f"{name:32} {native:10.0f} {browser[name]:12.0f} {browser[name] / native:6.2f}")


if __name__ == "__main__":
    main()
