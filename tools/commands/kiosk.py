"""`mirror kiosk`: the mirror unattended all day, a server and a full-screen Chromium on its page.

    mirror kiosk                                  # start the server (kiosk mode) and Chromium on it
    mirror kiosk --url http://127.0.0.1:8000      # a server already running (`mirror serve --kiosk`)
    mirror kiosk --install-service                # a systemd user unit: the kiosk starts at login
    mirror kiosk --headless                       # no window, Chromium's fake camera (tests, checks)

Chromium runs with --kiosk on the page in kiosk mode (`/?kiosk=1`: attract screen, large captions,
no cursor, the screen kept awake), with the camera and microphone granted to the mirror's origin
only. Whatever dies is started again and logged: the browser (crashed or closed), its page (a
crashed renderer, or no frame shown for STALL_S) and the server, when this command started it.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from mirror.server.settings import Settings
from tools import processes
from tools.chromium import QUIET, chromium_path, fake_media_switches, media_switches
from tools.commands.status import default_url

log = logging.getLogger(__name__)

SERVICE_NAME = "magic-mirror-kiosk.service"
SERVER_START_S = 180.0  # models load at start-up: a few seconds here, longer on a cold small box
# No new frame on the page for this long while the server is up: the page is stuck (camera gone
# for good, a wedged decoder); reloading it asks for the camera and the call afresh.
STALL_S = 30.0
CHECK_EVERY_S = 1.0
# Chromium's own pop-ups and bars that would sit on top of the mirror all day.
KIOSK_SWITCHES = (
    "--kiosk",
    "--noerrdialogs",
    "--disable-session-crashed-bubble",
    "--disable-infobars",
    "--disable-pinch",
    "--overscroll-history-navigation=0",
    "--check-for-update-interval=31536000",
)
# What the watchdog reads from the page (mirror.js and kiosk.js keep window.mirrorStats).
PAGE_STATE_JS = "window.mirrorStats ? [window.mirrorStats.framesShown, window.mirrorStats.state] : null"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="use the mirror running at this address instead of starting one")
    parser.add_argument("--port", type=int, help="port of the server it starts (env MIRROR_PORT; 0 = any free one)")
    parser.add_argument("--stages", help="render stages of the server it starts (as `mirror serve --stages`)")
    parser.add_argument("--no-speech", dest="speech", action="store_const", const=False,
                        help="start the server without voice commands")
    parser.add_argument("--headless", action="store_true",
                        help="no window; Chromium's fake camera and microphone unless files are given (tests)")
    parser.add_argument("--fake-camera", type=Path, help="Y4M (4:2:0) file Chromium plays as the camera")
    parser.add_argument("--fake-microphone", type=Path, help="16-bit WAV file Chromium plays as the microphone")
    parser.add_argument("--debug-port", type=int, help="Chromium's DevTools port on 127.0.0.1 (to inspect the page)")
    parser.add_argument("--install-service", action="store_true",
                        help=f"write the systemd user unit {SERVICE_NAME} that runs this kiosk at login, and exit")


def run(args: argparse.Namespace) -> int:
    if args.install_service:
        path = install_service(args)
        print(f"wrote {path}\nstart it now and at every login with:\n"
              f"  systemctl --user daemon-reload && systemctl --user enable --now {SERVICE_NAME}")
        return 0
    return Kiosk(args).run()


# ---- the systemd user unit ----
def service_command(args: argparse.Namespace) -> list[str]:
    """The command line the unit runs: this kiosk, with the options it was given (but not --install-service)."""
    script = Path(sys.executable).with_name("mirror")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tools.cli"]
    command.append("kiosk")
    for flag, value in (("--url", args.url), ("--port", args.port), ("--stages", args.stages),
                        ("--fake-camera", args.fake_camera), ("--fake-microphone", args.fake_microphone),
                        ("--debug-port", args.debug_port)):
        if value is not None:
            command += [flag, str(value)]
    if args.speech is False:
        command.append("--no-speech")
    if args.headless:
        command.append("--headless")
    return command


def service_unit(command: list[str], working_directory: Path) -> str:
    return f"""[Unit]
Description=Magic Mirror kiosk (the mirror server and a full-screen Chromium on it)
After=graphical-session.target
PartOf=graphical-session.target

[Service]
Type=simple
WorkingDirectory={systemd_quote(str(working_directory))}
# MIRROR_* settings (MIRROR_ADMIN_TOKEN for `mirror status`, MIRROR_KIOSK_ABSENT_S, ...), one per line.
EnvironmentFile=-%h/.config/magic-mirror/kiosk.env
ExecStart={" ".join(systemd_quote(part) for part in command)}
Restart=always
RestartSec=5

[Install]
WantedBy=graphical-session.target
"""


def systemd_quote(word: str) -> str:
    """One word of an ExecStart= line: systemd expands % specifiers and $ variables, and splits on
    whitespace unless quoted."""
    escaped = word.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c in escaped for c in " \t\n\"'\\;"):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def install_service(args: argparse.Namespace) -> Path:
    # XDG's base directory, not a mirror setting: where every systemd user unit of this user lives.
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = config / "systemd" / "user" / SERVICE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(service_unit(service_command(args), Path(__file__).resolve().parents[2]))
    tmp.replace(path)
    return path


# ---- the kiosk itself ----
class Kiosk:
    """Starts the server (unless --url) and Chromium, then keeps both alive until SIGTERM/SIGINT."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.settings = Settings.load({"port": args.port, "stages": args.stages, "speech": args.speech, "kiosk": True})
        self.server: subprocess.Popen | None = None
        self.stopping = False
        self.base_url = (args.url or "").rstrip("/")
        self._browser = self._page = None
        self._page_crashed = False
        self._frames, self._frames_at = -1, time.monotonic()

    # ---- the server ----
    def start_server(self) -> None:
        self.settings = self.settings.replace(port=self.settings.port or _free_port())  # a restart keeps it
        command = [sys.executable, "-m", "tools.cli", "serve", "--kiosk", "--port", str(self.settings.port)]
        if self.args.stages:
            command += ["--stages", self.args.stages]
        if self.args.speech is False:
            command.append("--no-speech")
        self.base_url = default_url(self.settings)
        log.info("starting the mirror server: %s", " ".join(command[1:]))
        self.server = subprocess.Popen(command)

    def wait_for_server(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline and not self.stopping:
            if self.server is not None and self.server.poll() is not None:
                raise RuntimeError(f"the mirror server exited at start-up (status {self.server.returncode}); "
                                   "its log above says why")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2, verify=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        if not self.stopping:
            raise RuntimeError(f"the mirror at {self.base_url} did not answer within {SERVER_START_S:.0f} s")

    # ---- the browser ----
    @property
    def page_url(self) -> str:
        return self.base_url + "/?kiosk=1"

    def launch_browser(self, playwright) -> None:
        switches = [*QUIET, *media_switches(self.base_url)]
        if self.args.headless or self.args.fake_camera or self.args.fake_microphone:
            switches += fake_media_switches(self.args.fake_camera, self.args.fake_microphone)
        if not self.args.headless:
            switches += KIOSK_SWITCHES
        if self.args.debug_port:
            switches.append(f"--remote-debugging-port={self.args.debug_port}")
        # No "controlled by automated test software" bar across the top of the mirror.
        self._browser = playwright.chromium.launch(executable_path=chromium_path(), headless=self.args.headless,
                                                   args=switches, ignore_default_args=["--enable-automation"])
        # A window as big as the screen (--kiosk), or a 720p page without one.
        context = self._browser.new_context(no_viewport=not self.args.headless,
                                            viewport={"width": 1280, "height": 720} if self.args.headless else None)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        context.grant_permissions(["camera", "microphone"], origin=origin)  # the mirror's origin, no other
        self.open_page()
        log.info("kiosk browser on %s (%s)", self.page_url, "headless" if self.args.headless else "full screen")

    def open_page(self) -> None:
        context = self._browser.contexts[0]
        for page in context.pages:
            page.close()
        self._page = context.new_page()
        self._page_crashed = False
        self._page.on("crash", lambda page: setattr(self, "_page_crashed", True))
        self._page.goto(self.page_url)
        self._frames, self._frames_at = -1, time.monotonic()

    def close_browser(self) -> None:
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:  # already gone: closing what died is not an error
                pass
            self._browser = None

    # ---- keeping it alive ----
    def check(self, playwright) -> None:
        """Once a second: start again whatever died."""
        if self.server is not None and self.server.poll() is not None:
            log.error("the mirror server exited (status %s); starting it again", self.server.returncode)
            self.start_server()
            self.wait_for_server()  # the page reconnects by itself
        if self._browser is None or not self._browser.is_connected():
            log.error("the kiosk browser is gone; starting it again")
            self.close_browser()
            self.launch_browser(playwright)
            return
        if self._page_crashed or self._page.is_closed():
            log.error("the kiosk page crashed; opening it again")
            self.open_page()
            return
        state = self._page.evaluate(PAGE_STATE_JS)
        frames = state[0] if state else -1
        if frames != self._frames:
            self._frames, self._frames_at = frames, time.monotonic()
        elif time.monotonic() - self._frames_at > STALL_S:
            log.error("the kiosk page showed no frame for %.0f s (state %s); reloading it", STALL_S,
                      state[1] if state else "unknown")
            self.open_page()

    def run(self) -> int:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        def stop(signum, frame) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            if not self.base_url:
                self.start_server()
            self.wait_for_server()
            with sync_playwright() as playwright:
                if not self.stopping:
                    self.launch_browser(playwright)
                while not self.stopping:
                    try:
                        self._page.wait_for_timeout(CHECK_EVERY_S * 1000)  # lets Playwright hear of crashes
                    except PlaywrightError:
                        pass  # the page or the browser died: check() sees which
                    if self.stopping:
                        break
                    try:
                        self.check(playwright)
                    except PlaywrightError as exc:
                        log.warning("kiosk browser check failed (%s); checking again", exc)
                        time.sleep(CHECK_EVERY_S)
                self.close_browser()
        except RuntimeError as exc:
            log.error("%s", exc)
            return 1
        finally:
            self.stop_server()
        return 0

    def stop_server(self) -> None:
        if self.server is not None and processes.stop(self.server, 15):
            log.warning("the mirror server did not stop within 15 s; it was killed")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
