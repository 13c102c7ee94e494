"""Spawning, running and stopping child processes of the stack."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from millbook_stack.postgres import Account

ShouldStop = Callable[[], bool]


class StepFailed(RuntimeError):
    """A one-shot command (initdb, mvn, migrations) exited non-zero."""


class StopRequested(RuntimeError):
    """The supervisor was asked to stop while it was still booting."""


def spawn(
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    account: Account | None = None,
) -> subprocess.Popen[bytes]:
    """Start argv with stdout and stderr appended to log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - argv is built by this package
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            user=account.uid if account else None,
            group=account.gid if account else None,
            extra_groups=[] if account else None,
        )


def run_step(
    argv: Sequence[str],
    log: Path,
    should_stop: ShouldStop,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    account: Account | None = None,
) -> None:
    """Run a one-shot command to completion, giving up if a stop is requested."""
    with log.open("ab") as out:
        out.write(f"$ {' '.join(argv)}\n".encode())
    child = spawn(argv, log, env=env, cwd=cwd, account=account)
    while child.poll() is None:
        if should_stop():
            stop_process(child, signal.SIGTERM, timeout=10)
            raise StopRequested(argv[0])
        time.sleep(0.1)
    if child.returncode != 0:
        raise StepFailed(f"{Path(argv[0]).name} exited with {child.returncode}; see {log}")


def stop_process(child: subprocess.Popen[bytes], stop_signal: int, timeout: float) -> bool:
    """Signal, wait, then SIGKILL. Returns False when it had to be killed."""
    if child.poll() is not None:
        return True
    child.send_signal(stop_signal)
    try:
        child.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_until(predicate: Callable[[], bool], timeout: float, should_stop: ShouldStop) -> bool:
    """Poll predicate until true or timeout; abort when a stop is requested."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if should_stop():
            raise StopRequested("wait")
        if predicate():
            return True
        time.sleep(0.2)
    return False
