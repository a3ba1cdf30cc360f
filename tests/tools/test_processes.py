"""tools/processes.stop: a child asked to stop stops; one that ignores the request is killed."""
from __future__ import annotations

import subprocess
import sys

from tools import processes

IGNORES_SIGTERM = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                   "print('ready', flush=True); time.sleep(60)")


def test_a_child_that_heeds_sigterm_stops_without_being_killed():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert processes.stop(child, 10) is False
    assert child.returncode == -15  # SIGTERM


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout():
    child = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"  # its handler is in place
    assert processes.stop(child, 0.5) is True
    assert child.returncode == -9  # SIGKILL
    child.stdout.close()


def test_a_child_that_already_exited_is_left_alone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert processes.stop(child, 10) is False
    assert child.returncode == 0
