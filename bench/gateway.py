"""Gateway benchmark: what the edge costs on an authenticated small GET.

Run with the stack up (`make up`, then `make bench`, or `uv run python bench/gateway.py`).
The same `GET /v1/users/me` as the demo admin is measured at a fixed concurrency
direct to identity and through a gateway, beside a bare uvicorn "hello" app on
the same machine as the ceiling. The machines are shared and noisy, so only the
ratios compare across runs.

The stack's own gateway (port 8000) rate limits the demo admin like any user, so
this starts its own gateway process on a free port, in front of the running
services, with a per-organization override that lifts the limit for the demo
organization. Its code is the working tree's, not what the stack started with.

The load comes from `wrk` when it is installed (Debian package `wrk`); otherwise
from Python (httpx), which on a small machine is itself the bottleneck.

Aims (issue 3): the gateway adds <= 30% to p50 latency and keeps >= 70% of the
direct throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field, replace

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from stack_processes import (  # beside this file
    cpu_seconds,
    free_port,
    gateway_process,
    log_in,
    pid_running,
    running,
)

from millbook_stack import api
from millbook_stack.control import is_running
from millbook_stack.services import service_url

PATH = "/v1/users/me"
console = Console(soft_wrap=True)

HELLO_APP = """
import sys
import uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"data": {"hello": "world"}}'})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


@dataclass(frozen=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per request, by server process


# -- processes --------------------------------------------------------------------------


def hello_process() -> list[str]:
    return [sys.executable, "-c", HELLO_APP, str(free_port())]


# -- load -------------------------------------------------------------------------------

WRK_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(name: str, output: str) -> Result:
    latencies = {q: float(v) * WRK_UNITS_MS[u] for q, v, u in WRK_LATENCY.findall(output)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    requests = int(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = int(bad[1]) if bad else 0
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return Result(name, rps, latencies["50"], latencies["99"], requests, errors)


async def wrk(name: str, url: str, token: str, concurrency: int, seconds: int) -> Result:
    threads = max(1, min(concurrency, (os.cpu_count() or 2) // 2))
    process = await asyncio.create_subprocess_exec(
        "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--latency",
        "-H", f"Authorization: Bearer {token}", url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return parse_wrk(name, output.decode())


async def python_load(name: str, url: str, token: str, concurrency: int, seconds: int) -> Result:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=10) as client:
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while (started := time.perf_counter()) < stop_at:
                try:
                    response = await client.get(url)
                    errors += response.status_code >= 400
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return Result(name, len(latencies) / elapsed, at(0.50), at(0.99), len(latencies), errors)


# -- the run ----------------------------------------------------------------------------


def report(results: dict[str, Result], tool: str, concurrency: int, seconds: int) -> None:
    table = Table(title=f"GET {PATH}, {concurrency} connections, {seconds} s each ({tool})")
    for column in ("target", "requests/s", "p50 ms", "p99 ms", "requests", "errors"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for r in results.values():
        table.add_row(
            r.name, f"{r.rps:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}",
            f"{r.requests:,}", str(r.errors),
        )  # fmt: skip
    console.print(table)
    direct, gateway, hello = results["direct"], results["gateway"], results["hello"]
    throughput = gateway.rps / direct.rps
    added = gateway.p50_ms / direct.p50_ms - 1
    console.print(
        f"gateway: throughput {throughput:.2f} x direct (aim >= 0.70) "
        f"{'OK' if throughput >= 0.70 else 'BELOW AIM'}"
    )
    console.print(
        f"gateway: p50 {gateway.p50_ms / direct.p50_ms:.2f} x direct, adds {added:+.0%} "
        f"(aim <= +30%) {'OK' if added <= 0.30 else 'ABOVE AIM'}"
    )
    console.print(
        f"ceiling: bare uvicorn hello {hello.rps:,.0f} requests/s; direct identity is "
        f"{direct.rps / hello.rps:.2f} x, the gateway {gateway.rps / hello.rps:.2f} x of it"
    )
    service_cpu = direct.cpu_ms["identity"]
    edge_cpu = gateway.cpu_ms["gateway"]
    console.print(
        f"cpu per request: identity {service_cpu:.2f} ms direct; through the gateway, "
        f"gateway {edge_cpu:.2f} ms + identity {gateway.cpu_ms['identity']:.2f} ms"
    )
    console.print(
        f"gateway: costs {edge_cpu / service_cpu:.2f} x the service's CPU per request; "
        f"where CPU is the limit that allows {service_cpu / (service_cpu + edge_cpu):.2f} x "
        "direct throughput (noise-robust; wall-clock ratios above move with the machine's load)"
    )
    if any(r.errors for r in results.values()):
        console.print("[red]Some requests failed; the numbers above are not comparable.")


async def measure_all(
    targets: dict[str, str],
    token: str,
    concurrency: int,
    seconds: int,
    tool: str,
    watched: dict[str, int],
) -> dict[str, Result]:
    load = wrk if tool == "wrk" else python_load
    results: dict[str, Result] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        for name, url in targets.items():
            task = progress.add_task(f"{name:<8} {url}", total=seconds + 2)
            await load(name, url, token, concurrency, 2)  # warm-up: pools, JWKS, caches
            progress.advance(task, 2)
            before = {server: cpu_seconds(pid) for server, pid in watched.items()}
            run = asyncio.create_task(load(name, url, token, concurrency, seconds))
            while not run.done():
                await asyncio.sleep(0.25)
                progress.advance(task, 0.25)
            result = run.result()
            used = {s: cpu_seconds(pid) - before[s] for s, pid in watched.items()}
            per_request = {s: 1000 * cpu / max(result.requests, 1) for s, cpu in used.items()}
            results[name] = replace(result, cpu_ms=per_request)
            progress.update(task, completed=seconds + 2)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    args = parser.parse_args()

    profile = api.dev_profile()
    if not is_running(profile):
        console.print("[red]The stack is not running: run `make up` first, then `make bench`.")
        return 1
    tool = "wrk" if shutil.which("wrk") and not args.python_client else "python-httpx"
    token, organization = log_in(profile)
    command, env = gateway_process(profile, organization)
    gateway = f"http://127.0.0.1:{command[command.index('--port') + 1]}"
    hello = hello_process()
    identity_pid = pid_running("millbook_identity", profile.port_of("identity"))
    with (
        running(command, env, gateway, "/health/live") as (gateway_url, gateway_pid),
        running(hello, {}, f"http://127.0.0.1:{hello[-1]}", "/") as (hello_url, _),
    ):
        targets = {
            "direct": f"{service_url(profile, 'identity')}{PATH}",
            "gateway": f"{gateway_url}{PATH}",
            "hello": hello_url,
        }
        watched = {"identity": identity_pid, "gateway": gateway_pid}
        results = asyncio.run(
            measure_all(targets, token, args.concurrency, args.seconds, tool, watched)
        )
    report(results, tool, args.concurrency, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
