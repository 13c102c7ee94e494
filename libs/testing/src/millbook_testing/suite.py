"""`make test`: the suite in two phases on one shared test stack.

Most tests run in parallel under pytest-xdist, a file per worker at a time, so a
module's fixtures (a migrated database, an in-process app) are built once. Tests
marked `slow` kill or stop shared processes (a service, the broker, PostgreSQL),
so they run afterwards on their own. The stack is started once (its services while
the first tests, which need only PostgreSQL and Kafka, run), kept between the
phases, and stopped at the end unless it was running before or
MILLBOOK_KEEP_TEST_INFRA is set.

    python -m millbook_testing.suite [pytest arguments...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from millbook_stack import api, control
from millbook_stack.profiles import Profile, test_profile
from millbook_testing.infra import stack_lock


def workers() -> int:
    raw = os.environ.get("MILLBOOK_TEST_WORKERS", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(2, min(4, (os.cpu_count() or 2) + 1))


def run_phase(title: str, args: list[str], env: dict[str, str]) -> int:
    print(f"\n=== {title}: pytest {' '.join(args)}", flush=True)
    began = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *args], env=env)  # noqa: S603
    print(f"=== {title}: exit {code} after {time.monotonic() - began:.0f} s", flush=True)
    return code


def start_services_meanwhile(profile: Profile) -> threading.Thread:
    """Start the services while the first tests (which need only PostgreSQL and Kafka) run;
    the end-to-end tests wait for them on the same lock instead of starting them late."""

    def start() -> None:
        with stack_lock(profile, "services"):
            try:
                api.start_services(profile)
            except Exception as exc:  # the e2e fixture tries again and reports it
                print(f"warning: the test stack's services did not start: {exc}", flush=True)

    with stack_lock(profile):
        api.ensure_infra(profile)
    starter = threading.Thread(target=start, name="services", daemon=True)
    starter.start()
    return starter


def main(extra: list[str]) -> int:
    profile = test_profile()
    running_before = control.is_running(profile)
    env = {**os.environ, "MILLBOOK_KEEP_TEST_INFRA": "1"}
    starter = None if extra else start_services_meanwhile(profile)
    try:
        parallel = run_phase(
            "parallel",
            ["-n", str(workers()), "--dist", "loadfile", "-m", "not slow", *extra],
            env,
        )
        serial = run_phase("serial", ["-m", "slow", *extra], env)
    finally:
        if starter is not None:
            starter.join()
        if not running_before and not os.environ.get("MILLBOOK_KEEP_TEST_INFRA"):
            api.stop_infra(profile)
    # 5 is pytest's "no tests collected": a phase may be empty when arguments narrow the run.
    codes = [code for code in (parallel, serial) if code != 5]
    return max(codes, default=5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
