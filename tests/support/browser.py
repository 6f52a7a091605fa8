"""Debian's chromium, headless, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless chromium; the test fails (not skips) when it is not installed."""
    if not CHROMIUM.is_file():
        pytest.fail(
            "Chromium not found at /usr/bin/chromium: install Debian's package "
            "(`apt-get install -y chromium`; .ci/run does). Never run `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only once chromium is known

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
