"""The browser suites' Playwright fixture (helpers: tests/helpers/web.py)."""

from __future__ import annotations

import pytest
from helpers.web import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser(request):
    """One Chromium per test module; screenshots go to the module's ``ARTIFACTS``."""
    from playwright.sync_api import sync_playwright

    request.module.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
