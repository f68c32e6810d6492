"""Debian's Chromium, headless, as the browser tests and the pay-page benches drive it.

No pytest here: `bench/` launches the same browser with the same flags, so a figure
measured there is what the tests see. Never a downloaded browser (`playwright install`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a bench's --help runs without loading Playwright
    from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
# No sandbox (containers), no GPU, and none of the browser's own traffic (updates,
# sync, QUIC probes): every request a page makes is one its code asked for.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# A phone: 360 x 640 CSS px, touch (so "Pay with UPI app" shows), 1 device px per CSS px.
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 640},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 1,
}


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium; a clear error when the package is missing."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium package")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
