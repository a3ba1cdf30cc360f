"""Debian's Chromium for Playwright: where the real binary is, and the switches the mirror needs.

Used by `mirror kiosk` and by the browser tests (tests/browser.py), so both start the same browser.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

# /usr/bin/chromium is a wrapper script; Playwright needs the real binary.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

# Quiet: nothing of the browser's own (first-run pages, sync, update checks) on a mirror.
QUIET = (
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def chromium_path() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if not found:
        raise RuntimeError("Chromium is not installed: `sudo apt-get install chromium` (`make test` does it)")
    return found


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in LOOPBACK_HOSTS


def media_switches(url: str) -> list[str]:
    """A mirror on this machine serves media on loopback (web/binding.py), and Chromium gathers no
    loopback candidates unless told to: without this switch the call would need another interface."""
    return ["--allow-loopback-in-peer-connection"] if is_loopback(url) else []


def fake_media_switches(camera: Path | None = None, microphone: Path | None = None) -> list[str]:
    """Chromium's fake devices: its test pattern and beep, or these files (Y4M 4:2:0, 16-bit WAV), looped."""
    switches = ["--use-fake-device-for-media-stream"]
    if camera is not None:
        switches.append(f"--use-file-for-fake-video-capture={camera}")
    if microphone is not None:
        switches.append(f"--use-file-for-fake-audio-capture={microphone}")
    return switches
