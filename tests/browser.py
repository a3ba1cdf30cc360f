"""Debian's Chromium, driven by Playwright, with fake camera and microphone files.

Media stays on loopback: Chromium gathers 127.0.0.1 only with --allow-loopback-in-peer-connection,
and the server offers only 127.0.0.1 (Settings.ice_addresses).
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from tools.chromium import QUIET, chromium_path, fake_media_switches


@contextlib.contextmanager
def chromium_page(camera: Path, microphone: Path | None = None) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # The kiosk's own switches (tools/chromium.py), plus the permission prompt answered "allow".
    args = ["--use-fake-ui-for-media-stream", *fake_media_switches(camera, microphone),
            "--allow-loopback-in-peer-connection", *QUIET]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.console = []
            page.on("console", lambda msg: page.console.append(f"{msg.type}: {msg.text}"))
            yield page
        finally:
            browser.close()
