"""Headless Chromium through Selenium, using Debian's `chromium` and `chromium-driver` (nothing is downloaded)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = ("chromedriver", "chromium-driver")


def _which(names) -> str | None:
    return next((p for p in map(shutil.which, names) if p), None)


def chromium(width: int = 1360, height: int = 1000):
    """A headless Chromium WebDriver; skips the test when the browser or its driver is absent."""
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e .[dev])")
    binary, driver = _which(CHROMIUM), _which(DRIVER)
    if binary is None or driver is None:
        if os.environ.get("CI") == "true":  # .ci/run installs them: a skip there would hide a broken install
            pytest.fail("chromium / chromedriver missing in CI (.ci/run installs chromium chromium-driver)")
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver; .ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--mute-audio", "--no-first-run", "--disable-extensions",
                "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)
