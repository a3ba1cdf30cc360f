"""`mirror kiosk`: the server and a Chromium on its kiosk page, both started again when they die, and
the systemd user unit that starts the kiosk at login."""
from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psutil
import pytest

from tools.fake_media import write_y4m
from tests.live_server import free_port
from tools.cli import main
from tools.commands.kiosk import SERVICE_NAME, systemd_quote
from tools.testclip import clip_frames

REPO = Path(__file__).resolve().parents[2]


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read_string(path.read_text())
    return unit


def test_install_service_writes_a_systemd_user_unit_that_runs_this_kiosk(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["kiosk", "--install-service", "--port", "8100", "--stages", "composite,neural", "--no-speech"]) == 0
    path = tmp_path / "config" / "systemd" / "user" / SERVICE_NAME
    unit = read_unit(path)
    command = shlex.split(unit["Service"]["ExecStart"])
    assert Path(command[0]).is_absolute() and command[0].startswith(str(Path(sys.executable).parent))
    assert command[command.index("kiosk"):] == ["kiosk", "--port", "8100", "--stages", "composite,neural",
                                                 "--no-speech"]
    assert unit["Service"]["Restart"] == "always" and unit["Install"]["WantedBy"] == "graphical-session.target"
    assert unit["Service"]["WorkingDirectory"] == str(REPO)
    assert "systemctl --user enable --now " + SERVICE_NAME in capsys.readouterr().out
    assert not list(path.parent.glob("*.tmp"))
    if shutil.which("systemd-analyze"):
        # systemd's own parser (its system mode: a test box runs no user manager to ask).
        checked = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


@pytest.mark.parametrize("word, written", [
    ("plain", "plain"),
    ("/opt/magic mirror/bin/mirror", '"/opt/magic mirror/bin/mirror"'),
    ("100%", "100%%"),  # systemd would expand %-specifiers
    ("$HOME", "$$HOME"),  # and variables
    ('say "hi"', '"say \\"hi\\""'),
])
def test_exec_start_words_are_quoted_as_systemd_reads_them(word, written):
    assert systemd_quote(word) == written


# ---- the kiosk itself, headless ----
def wait_until(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def server_of(kiosk: psutil.Process) -> psutil.Process | None:
    return _descendant(kiosk, lambda cmd: "serve" in cmd and "--kiosk" in cmd)


def browser_of(kiosk: psutil.Process) -> psutil.Process | None:
    """Chromium's browser process (Playwright's driver starts it; its renderers carry --type=)."""
    return _descendant(kiosk, lambda cmd: cmd[0].endswith("chromium") and not any(a.startswith("--type=") for a in cmd))


def _descendant(kiosk: psutil.Process, matches) -> psutil.Process | None:
    for process in kiosk.children(recursive=True):
        try:
            if process.cmdline() and matches(process.cmdline()):
                return process
        except psutil.NoSuchProcess:
            pass
    return None


def kiosk_page(playwright, debug_port: int):
    """The kiosk's own page, through Chromium's DevTools port."""
    devtools = f"http://127.0.0.1:{debug_port}"

    def listed() -> bool:
        try:
            return any("kiosk=1" in t["url"] for t in httpx.get(devtools + "/json/list", timeout=2).json())
        except (httpx.HTTPError, ValueError):
            return False

    wait_until(listed, 30, "the kiosk page")
    browser = playwright.chromium.connect_over_cdp(devtools)
    (page,) = [p for c in browser.contexts for p in c.pages if "kiosk=1" in p.url]
    return browser, page


@pytest.mark.browser
@pytest.mark.slow
def test_mirror_kiosk_headless_starts_the_server_and_chromium_and_restarts_what_dies(tmp_path):
    from playwright.sync_api import sync_playwright

    camera = write_y4m(tmp_path / "camera.y4m", (f.image for f in clip_frames(30)), fps=10)
    port, debug_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MIRROR_EMBEDDINGS": "false", "MIRROR_CLIPS_DIR": str(tmp_path / "clips")}
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "kiosk", "--headless", "--port", str(port), "--stages", "passthrough",
         "--no-speech", "--fake-camera", str(camera), "--debug-port", str(debug_port)],
        cwd=REPO, env=env)
    process = psutil.Process(kiosk.pid)
    try:
        wait_until(lambda: healthy(url), 120, "the server")
        with sync_playwright() as playwright:
            browser, page = kiosk_page(playwright, debug_port)
            page.wait_for_function("window.mirrorStats && mirrorStats.kiosk === true && mirrorStats.connected "
                                   "&& mirrorStats.framesShown > 10", timeout=30_000)
            assert page.evaluate("mirrorStats.kioskServer") is True  # the server it started is in kiosk mode
            assert page.evaluate("getComputedStyle(document.body).cursor") == "none"

            # The server dies without a word (the OOM killer): the kiosk starts it again, the page comes back.
            server = server_of(process)
            server.kill()
            wait_until(lambda: (c := server_of(process)) is not None and c.pid != server.pid, 10, "a new server")
            wait_until(lambda: healthy(url), 120, "the new server")
            page.wait_for_function("mirrorStats.reconnects > 0 && mirrorStats.connected", timeout=15_000)
            shown = page.evaluate("mirrorStats.framesShown")
            page.wait_for_function(f"mirrorStats.framesShown > {shown + 10}", timeout=10_000)
            browser.close()  # this test's connection, not the kiosk's browser

            # The browser dies: the kiosk starts another one on the same page.
            chromium = browser_of(process)
            chromium.kill()
            wait_until(lambda: (c := browser_of(process)) is not None and c.pid != chromium.pid, 20, "a new browser")
            browser, page = kiosk_page(playwright, debug_port)
            page.wait_for_function("window.mirrorStats && mirrorStats.kiosk === true && mirrorStats.connected",
                                   timeout=30_000)
            browser.close()
        children = process.children(recursive=True)
        kiosk.send_signal(signal.SIGTERM)
        assert kiosk.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"left running: {[p.pid for p in alive]}"
        assert not healthy(url)
    finally:
        if kiosk.poll() is None:
            for process_left in process.children(recursive=True):
                process_left.kill()
            kiosk.kill()
