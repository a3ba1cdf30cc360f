"""Child processes the tools (and tests) start: stopped politely, then firmly."""
from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen, timeout_s: float) -> bool:
    """SIGTERM `process` and wait up to `timeout_s` for it to exit; SIGKILL it if it does not.
    Returns True when it had to be killed. A process that already exited is left as it is."""
    if process.poll() is not None:
        return False
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
        return False
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return True
