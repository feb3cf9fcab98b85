"""Headless Chromium for tests and benchmarks: Debian's /usr/bin/chromium, driven by Playwright.

Pages are served from a temporary folder by a static server on 127.0.0.1 only. Without a
browser the tests skip, unless ``SEDA_TEST_REQUIRE_BROWSER=1`` (set by ``.ci/run``).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from typing_extensions import override

CHROMIUM = Path(os.environ.get("SEDA_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "server" / "static" / "js" / "seda-protocol.js"
# The reporters' pages' scripts and font, built with the protocol bundle.
STATIC = ROOT / "server" / "static"
PAGE_ASSETS = [STATIC / "js" / f"seda-{name}.js" for name in ("report", "status", "worker")]
PAGE_ASSETS.append(STATIC / "fonts" / "Vazirmatn-Regular.woff2")
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
# Where the browser tests write the pages' screenshots (docs/WEB.md links them).
SCREENSHOTS = Path(os.environ.get("SEDA_SCREENSHOTS_DIR", str(ROOT / "docs" / "screenshots")))
# The WCAG 2.2 A and AA rules axe-core checks; "serious" and "critical" findings fail a test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def require_browser(*also: Path) -> None:
    """Skip (or, in CI, fail) when Chromium, the built bundle or ``also`` is missing."""
    missing = [str(path) for path in (CHROMIUM, BUNDLE, *also) if not path.exists()]
    if missing:
        message = f"needs {', '.join(missing)} (scripts/bootstrap installs and builds them)"
        if os.environ.get("SEDA_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (the standard library declares it as a plain attribute)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
    }

    @override
    def log_message(self, format: str, *args: object) -> None:
        return


@contextlib.contextmanager
def serve_directory(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def protocol_test_site(folder: Path) -> Path:
    """A folder with the built bundle, the shared vector checks, the vectors and a page."""
    shutil.copy(BUNDLE, folder / "seda-protocol.js")
    shutil.copy(ROOT / "web" / "test" / "vector-checks.mjs", folder / "vector-checks.mjs")
    shutil.copy(ROOT / "tests" / "vectors" / "protocol-v1.json", folder / "protocol-v1.json")
    (folder / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><title>seda protocol</title>'
        '<script type="module" src="run.mjs"></script>',
        encoding="utf-8",
    )
    (folder / "run.mjs").write_text(
        'import * as p from "./seda-protocol.js";\n'
        'import { runVectorChecks } from "./vector-checks.mjs";\n'
        "window.seda = p;\n"
        'const vectors = await (await fetch("./protocol-v1.json")).json();\n'
        "window.sedaResults = await runVectorChecks(vectors, p);\n",
        encoding="utf-8",
    )
    return folder


def axe_findings(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (the pinned npm copy) on the page as it is now; every violation found.

    The script is evaluated through the DevTools protocol, which the page's strict
    Content-Security-Policy does not govern, so the page is tested under its real policy.
    """
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, { runOnly: { type: 'tag', values: tags } })", AXE_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
    ]
