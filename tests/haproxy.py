"""Debian's HAProxy in front of test workers, running deploy/haproxy/haproxy.cfg itself: only the
addresses (a loopback port instead of :443 and :80, the workers' ports), the stats socket, the log
and the health-check interval are changed, each by a rewrite that must match, so a change to the
shipped file's shape fails here instead of silently testing something else."""
from __future__ import annotations

import asyncio
import csv
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tools import processes

SHIPPED = Path(__file__).resolve().parent.parent / "deploy" / "haproxy" / "haproxy.cfg"
BACKENDS = ("workers", "queue")
POLL_S = 0.02  # how often the stats socket is read: the resolution of the times measured with it


def haproxy_path() -> str:
    path = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if path is None:
        raise RuntimeError("haproxy is not installed: `make test` installs it (Makefile APT_PACKAGES), "
                           "or apt-get install haproxy")
    return path


def loopback_config(port: int, workers: dict[str, int], stats_socket: Path, check_inter_ms: int) -> str:
    """The shipped configuration on loopback: HTTP on `port`, the named workers on 127.0.0.1."""
    text = SHIPPED.read_text()

    def rewrite(pattern: str, replacement: str, count: int) -> None:
        nonlocal text
        text, n = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        assert n == count, f"deploy/haproxy/haproxy.cfg: expected {count} line(s) matching {pattern!r}, found {n}"

    rewrite(r"^    log /dev/log .*\n", "", 1)  # no syslog here; state changes still reach stderr
    rewrite(r"^    stats socket \S+", f"    stats socket {stats_socket}", 1)
    rewrite(r"^    bind :443 .*\n    bind :80\n", f"    bind 127.0.0.1:{port}\n", 1)
    rewrite(r"^    http-request redirect scheme https .*\n", "", 1)
    rewrite(r"^(    default-server check inter )1s( .*)$", rf"\g<1>{check_inter_ms}ms\g<2>", len(BACKENDS))
    servers = "".join(f"    server {name} 127.0.0.1:{p}\n" for name, p in workers.items())
    rewrite(r"^    server w1 127\.0\.0\.1:8001\n    server w2 127\.0\.0\.1:8002\n    server w3 127\.0\.0\.1:8003\n",
            servers, len(BACKENDS))
    return text


class HAProxy:
    """haproxy in the foreground, its stats socket read for each server's state."""

    def __init__(self, port: int, workers: dict[str, int], check_inter_ms: int = 100) -> None:
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="mirror-haproxy-"))
        self.socket = self.folder / "admin.sock"
        self.config = self.folder / "haproxy.cfg"
        self.config.write_text(loopback_config(port, workers, self.socket, check_inter_ms))
        self.log = open(self.folder / "haproxy.log", "w+")
        binary = haproxy_path()
        check = subprocess.run([binary, "-c", "-q", "-f", str(self.config)], capture_output=True, text=True)
        assert check.returncode == 0, f"haproxy -c: {check.stdout}{check.stderr}"
        self.process = subprocess.Popen([binary, "-db", "-f", str(self.config)], stdout=self.log,
                                        stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "HAProxy":
        deadline = time.monotonic() + 10
        while not self.stats():  # its stats socket answers once the configuration is loaded
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"haproxy did not start: {self.tail()}")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        processes.stop(self.process, 5)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def tail(self, lines: int = 20) -> str:
        self.log.flush()
        return "".join((self.folder / "haproxy.log").read_text().splitlines(keepends=True)[-lines:])

    def command(self, line: str) -> str:
        """One command on the stats socket (`show stat`, `disable health workers/w2`, …); its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(str(self.socket))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> dict[tuple[str, str], dict[str, str]]:
        """`show stat` by (backend, server), servers only; {} while the socket is not there yet."""
        try:
            lines = self.command("show stat").lstrip("# ").splitlines()
        except (FileNotFoundError, ConnectionRefusedError):
            return {}
        return {(row["pxname"], row["svname"]): row for row in csv.DictReader(lines)
                if row.get("pxname") in BACKENDS and row["svname"] not in ("FRONTEND", "BACKEND")}

    def states(self) -> dict[tuple[str, str], str]:
        """{(backend, server): "UP" | "DOWN" | "no" (no check) | …}."""
        return {key: row["status"].split()[0] for key, row in self.stats().items()}

    def redispatched(self) -> int:
        """Requests sent again to another worker after a connection to one failed (retry-on)."""
        return sum(int(row["wredis"] or 0) for (backend, _), row in self.stats().items() if backend == "workers")

    async def wait_states(self, wanted: dict[tuple[str, str], str], timeout: float) -> float:
        """Wait until every (backend, server) named is in its state; when that was, time.monotonic()."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            states = self.states()
            if all(states.get(key) == state for key, state in wanted.items()):
                return now
            if now > deadline:
                raise TimeoutError(f"haproxy: wanted {wanted}, has {states}\n{self.tail()}")
            await asyncio.sleep(POLL_S)

    async def watch(self, changes: list[tuple[float, str, str, str]]) -> None:
        """Append (time.monotonic(), backend, server, state) to `changes` whenever a server's state
        changes, until cancelled: when the balancer stopped or started sending a worker offers."""
        last: dict[tuple[str, str], str] = {}
        while True:
            now = time.monotonic()
            for key, state in self.states().items():
                if last.get(key) != state:
                    last[key] = state
                    changes.append((now, *key, state))
            await asyncio.sleep(POLL_S)
