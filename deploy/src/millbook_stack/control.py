"""Client side of the supervisor: launch it, find it, wait for it, stop it."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from millbook_stack import kafka, postgres
from millbook_stack.processes import command_line, pid_alive
from millbook_stack.profiles import INFRA, Profile, find_repo_root
from millbook_stack.services import (
    ServiceSpec,
    ensure_inbox_seal_keys,
    ensure_signing_key_passphrase,
)
from millbook_stack.status import StackStatus, read_status
from millbook_stack.supervisor import Plan, read_plan, write_plan

SUPERVISOR_MODULE = "millbook_stack"
STOP_TIMEOUT = 240.0
# Restarts after which `up` stops waiting for a process and reports it.
CRASH_LOOP = 3


def supervisor_pid(profile: Profile) -> int | None:
    """The live supervisor of this profile, checked against pid reuse."""
    try:
        pid = int(profile.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if pid_alive(pid) and "supervise" in command_line(pid):
        return pid
    return None


def is_running(profile: Profile) -> bool:
    return supervisor_pid(profile) is not None


def planned_services(profile: Profile) -> list[ServiceSpec]:
    try:
        return read_plan(profile.plan_file).services
    except (FileNotFoundError, ValueError, KeyError):
        return []


def launch(profile: Profile, services: list[ServiceSpec]) -> int:
    """Start a detached supervisor in its own session; returns its pid."""
    profile.logs_dir.mkdir(parents=True, exist_ok=True)
    profile.status_file.unlink(missing_ok=True)
    _ensure_secrets(profile, services)
    write_plan(profile.plan_file, Plan(profile, services))
    command = [
        sys.executable,
        "-m",
        SUPERVISOR_MODULE,
        "supervise",
        "--plan",
        str(profile.plan_file),
    ]
    with profile.log_file("supervisor").open("ab") as out:
        child = subprocess.Popen(  # noqa: S603 - argv is built by this package
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=find_repo_root(),
            start_new_session=True,
        )
    return child.pid


def launch_unless_running(profile: Profile, services: list[ServiceSpec]) -> bool:
    """Launch a supervisor unless one runs; True when this call launched it.

    Holds a lock so two test sessions starting at once do not both launch one.
    """
    profile.state_dir.mkdir(parents=True, exist_ok=True)
    with (profile.state_dir / ".launch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_running(profile):
            return False
        pid = launch(profile, services)
        # Written here too (the supervisor rewrites it) so the next caller sees it at once.
        profile.pid_file.write_text(f"{pid}\n")
        return True


def _ensure_secrets(profile: Profile, services: list[ServiceSpec]) -> None:
    """Identity will not start without its signing-key passphrase and the inbox's public
    sealing key: the stack makes them (the inbox gets the private half of the pair)."""
    names = {spec.name for spec in services}
    if "identity" in names:
        ensure_signing_key_passphrase(profile)
    if names & {"identity", "inbox"}:
        ensure_inbox_seal_keys(profile)


def add_services(profile: Profile, services: list[ServiceSpec]) -> None:
    """Ask a running supervisor (SIGHUP) to run these services as well."""
    pid = supervisor_pid(profile)
    if pid is None:
        raise RuntimeError(f"the {profile.name} stack is not running")
    wanted = {s.name: s for s in planned_services(profile)}
    wanted.update({s.name: s for s in services})
    _ensure_secrets(profile, services)
    write_plan(profile.plan_file, Plan(profile, list(wanted.values())))
    os.kill(pid, signal.SIGHUP)


@dataclass
class Readiness:
    ready: bool
    status: StackStatus | None
    waiting_for: list[str]
    error: str = ""


def health_ok(port: int) -> bool:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def not_ready(status: StackStatus, names: list[str]) -> list[str]:
    """Names not yet running; services must also answer /health/ready themselves."""
    waiting = []
    for name in names:
        entry = status.process(name)
        if (
            entry is None
            or entry.state != "running"
            or (name not in INFRA and entry.port and not health_ok(entry.port))
        ):
            waiting.append(name)
    return waiting


def wait_ready(
    profile: Profile,
    names: list[str],
    timeout: float,
    on_status: Callable[[StackStatus], None] | None = None,
) -> Readiness:
    """Poll the status file until every named process runs, the boot fails, or timeout."""
    deadline = time.monotonic() + timeout
    status: StackStatus | None = None
    waiting = list(names)
    while time.monotonic() < deadline:
        status = read_status(profile.status_file)
        if status is not None:
            if on_status is not None:
                on_status(status)
            failure = _boot_failure(profile, status, names)
            if failure:
                return Readiness(False, status, waiting, failure)
            waiting = not_ready(status, names)
            if not waiting:
                return Readiness(True, status, [])
        time.sleep(0.25)
    return Readiness(False, status, waiting)


def _boot_failure(profile: Profile, status: StackStatus, names: list[str]) -> str:
    if status.error:
        return status.error
    failed = [p for p in status.processes if p.name in names and p.state == "failed"]
    if failed:
        return f"{failed[0].name}: {failed[0].detail}"
    looping = [
        p
        for p in status.processes
        if p.name in names and p.restarts >= CRASH_LOOP and p.state != "running"
    ]
    if looping:
        entry = looping[0]
        return (
            f"{entry.name} keeps crashing ({entry.detail}, restarted {entry.restarts} times); "
            f"see {profile.log_file(entry.name)}"
        )
    if status.phase == "stopped" or not is_running(profile):
        return f"the supervisor exited; see {profile.log_file('supervisor')}"
    return ""


def stop(profile: Profile, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM the supervisor and wait until it is gone. False if nothing ran."""
    pid = supervisor_pid(profile)
    if pid is None:
        kill_leftovers(profile)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    kill_leftovers(profile)
    return True


def expected_commands(profile: Profile) -> dict[str, str]:
    """What each process's /proc cmdline reads, to never kill a reused pid."""
    commands = {
        "postgres": postgres.server_command(profile),
        "kafka": kafka.broker_command(profile),
    }
    commands.update({s.name: s.command for s in planned_services(profile)})
    return {name: " ".join(argv) for name, argv in commands.items()}


def kill_leftovers(profile: Profile) -> list[int]:
    """Processes the status file still lists after the supervisor died hard."""
    status = read_status(profile.status_file)
    if status is None:
        return []
    expected = expected_commands(profile)
    killed = []
    for entry in status.processes:
        pid = entry.pid
        if pid and pid_alive(pid) and command_line(pid).strip() == expected.get(entry.name):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed
