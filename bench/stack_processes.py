"""What the benchmarks share: a gateway of their own in front of the running stack.

A benchmark starts its own gateway on a free port (its code is the working tree's)
with the demo organization's rate limit lifted, logs in as the demo admin, and
reads processes' CPU time, which a shared machine's load moves far less than
wall-clock numbers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import jwt
from rich.console import Console

from millbook_stack import api, demo
from millbook_stack.profiles import Profile, find_repo_root
from millbook_stack.services import service_url, upstreams

UNLIMITED_PER_HOUR = 1_000_000_000
console = Console(soft_wrap=True)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used: less noisy than wall time on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def pid_running(module: str, port: int) -> int:
    """The pid of the uvicorn process serving `module` on `port`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if any(module in w for w in words) and str(port) in words:
            return int(entry.name)
    raise RuntimeError(f"no process serves {module} on port {port}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(
    command: list[str], env: dict[str, str], url: str, probe: str
) -> Iterator[tuple[str, int]]:
    """A process we start, waited on until `url + probe` answers, and stopped afterwards."""
    # Its output goes to a file: an unread pipe would fill and stall the process.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=find_repo_root(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")
                raise RuntimeError(f"{command[2:4]} exited at start:\n{output[-2000:]}")
            try:
                httpx.get(url + probe, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not answer within 30 s") from None
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        if os.environ.get("BENCH_SHOW_LOGS"):
            console.print(log.read().decode(errors="replace")[-3000:])
        log.close()


def gateway_process(profile: Profile, organization_id: str) -> tuple[list[str], dict[str, str]]:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "millbook_gateway.main:app",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    env = {
        "MILLBOOK_SERVICE_NAME": "gateway",
        "MILLBOOK_UPSTREAMS": json.dumps(upstreams(profile)),
        "MILLBOOK_IDENTITY_URL": service_url(profile, "identity"),
        "MILLBOOK_KAFKA_BOOTSTRAP_SERVERS": api.kafka_bootstrap(profile),
        "MILLBOOK_RATE_LIMIT_OVERRIDES": json.dumps({organization_id: UNLIMITED_PER_HOUR}),
        "MILLBOOK_LOG_LEVEL": "WARNING",
    }
    return command, env


def log_in(profile: Profile) -> tuple[str, str]:
    """The demo admin's access token (straight from identity) and its organization.

    A stack without the demo organization (a test profile's) gets it seeded first, as
    `make up` seeds it, with credentials kept in the stack's state folder."""
    credentials = demo.demo_credentials(profile)
    body = {"email": credentials.email, "password": credentials.password}
    url = f"{service_url(profile, 'identity')}/v1/auth/login"
    response = httpx.post(url, json=body, timeout=30)
    if response.status_code == 401:
        demo.seed(profile, credentials)
        response = httpx.post(url, json=body, timeout=30)
    response.raise_for_status()
    token = str(response.json()["data"]["access_token"])
    claims = jwt.decode(token, options={"verify_signature": False})
    return token, str(claims.get("org") or claims["tid"])
