"""The supervisor: boots the stack, restarts what dies, stops it all in order.

It runs detached (`python -m millbook_stack supervise --plan FILE`) and talks to
the CLI only through files: its pid file, the plan it reads (again on SIGHUP)
and the status file it rewrites on every change.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from millbook_stack import kafka, migrations, postgres
from millbook_stack.processes import (
    StepFailed,
    StopRequested,
    run_step,
    spawn,
    stop_process,
    wait_until,
)
from millbook_stack.profiles import SERVICES_WITH_DB, Profile
from millbook_stack.services import ServiceSpec
from millbook_stack.status import ProcessStatus, StackStatus, State, write_status

log = logging.getLogger("millbook.supervisor")

# Like systemd's Restart=on-failure with a growing delay. The first restart after a
# healthy run is nearly immediate (a killed service serves again within seconds); a
# crash loop still backs off to one start every 30 s.
FIRST_DELAY = 0.25
MAX_DELAY = 30.0
# A child that stayed up this long is healthy again: its next crash starts over at 1 s.
STABLE_AFTER = 60.0
TICK = 0.2
SERVICE_STOP_TIMEOUT = 15.0
KAFKA_STOP_TIMEOUT = 30.0
POSTGRES_STOP_TIMEOUT = 30.0
POSTGRES_READY_TIMEOUT = 60.0
KAFKA_READY_TIMEOUT = 120.0


def backoff_delay(consecutive_failures: int) -> float:
    """0.25 s, 0.5 s, 1 s ... capped at 30 s, for the 1st, 2nd, 3rd ... crash in a row."""
    exponent = max(consecutive_failures, 1) - 1
    return min(FIRST_DELAY * float(2**exponent), MAX_DELAY)


def _die_with_parent() -> None:
    """Runs in the child before exec: if the supervisor dies hard, children get SIGTERM."""
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Plan:
    """What the supervisor runs: written by the CLI or the test suite."""

    profile: Profile
    services: list[ServiceSpec]

    def to_json(self) -> dict[str, object]:
        return {
            "profile": self.profile.to_json(),
            "services": [s.to_json() for s in self.services],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Plan:
        raw_services = data["services"]
        assert isinstance(raw_services, list)
        profile_data = data["profile"]
        assert isinstance(profile_data, dict)
        services = [ServiceSpec.from_json(s) for s in raw_services]
        return cls(Profile.from_json(profile_data), services)


def write_plan(path: Path, plan: Plan) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(plan.to_json(), indent=2))
    os.replace(temporary, path)


def read_plan(path: Path) -> Plan:
    return Plan.from_json(json.loads(path.read_text()))


@dataclass
class Child:
    """One long-running process and its restart bookkeeping."""

    status: ProcessStatus
    command: list[str]
    log_file: Path
    ready: Callable[[], bool]
    env: dict[str, str] | None = None
    cwd: Path | None = None
    account: postgres.Account | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = SERVICE_STOP_TIMEOUT
    process: subprocess.Popen[bytes] | None = None
    consecutive_failures: int = 0
    started_monotonic: float = 0.0
    restart_at: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.status.name


def http_ready(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    return check


class Supervisor:
    def __init__(self, plan: Plan, plan_file: Path | None = None) -> None:
        self.profile = plan.profile
        self.plan_file = plan_file
        self.specs = plan.services
        self.children: list[Child] = []
        self.stop_requested = False
        self.reload_requested = False
        self.status = StackStatus(profile=self.profile.name, supervisor_pid=os.getpid())
        self.status.processes = [ProcessStatus("postgres", port=self.profile.pg_port)]
        self.status.processes.append(ProcessStatus("kafka", port=self.profile.kafka_port))
        self.status.processes += [ProcessStatus(s.name, port=s.port) for s in self.specs]
        self.account = postgres.server_account()

    # -- signals -------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested = True

    def should_stop(self) -> bool:
        return self.stop_requested

    # -- status --------------------------------------------------------------

    def save_status(self) -> None:
        write_status(self.profile.status_file, self.status)

    def set_phase(self, phase: str) -> None:
        log.info("%s", phase)
        self.status.phase = phase
        self.save_status()

    def process_status(self, name: str) -> ProcessStatus:
        found = self.status.process(name)
        if found is None:
            found = ProcessStatus(name)
            self.status.processes.append(found)
        return found

    def mark(self, name: str, state: State, detail: str = "") -> None:
        entry = self.process_status(name)
        entry.state, entry.detail = state, detail
        self.save_status()

    # -- whole run -----------------------------------------------------------

    def run(self) -> int:
        self.profile.logs_dir.mkdir(parents=True, exist_ok=True)
        self.profile.pid_file.write_text(f"{os.getpid()}\n")
        exit_code = 0
        try:
            self.boot()
            self.supervise()
        except StopRequested:
            log.info("stop requested while booting")
        except Exception as error:
            log.exception("boot failed")
            self.status.error = str(error)
            exit_code = 1
        finally:
            self.shutdown()
            self.profile.pid_file.unlink(missing_ok=True)
        return exit_code

    def boot(self) -> None:
        self.start_postgres()
        self.start_kafka()
        self.wait_postgres()
        ready_to_start = self.migrate(self.specs)
        self.wait_kafka()
        for spec in ready_to_start:
            self.start_service(spec)
        self.set_phase("supervising")

    # -- infrastructure ------------------------------------------------------

    def start_postgres(self) -> None:
        profile, account = self.profile, self.account
        postgres.prepare_folders(profile, account)
        blocked = postgres.unreachable_folder(postgres.data_dir(profile), account)
        if blocked is not None:
            raise StepFailed(
                f"the {account.name if account else ''} account cannot enter {blocked}: "
                f"chmod o+x {blocked}, or set MILLBOOK_STATE_DIR to a folder it can reach"
            )
        if not postgres.is_initialised(profile):
            self.set_phase("initialising PostgreSQL (first run only)")
            log_file = profile.log_file("postgres")
            run_step(postgres.initdb_command(profile), log_file, self.should_stop, account=account)
        self.set_phase("starting PostgreSQL")
        child = Child(
            status=self.process_status("postgres"),
            command=postgres.server_command(profile),
            log_file=profile.log_file("postgres"),
            ready=lambda: postgres.accepts_connections(profile),
            account=account,
            # SIGINT is PostgreSQL's fast shutdown, what `pg_ctl -m fast stop` sends.
            stop_signal=signal.SIGINT,
            stop_timeout=POSTGRES_STOP_TIMEOUT,
        )
        self.launch(child)

    def wait_postgres(self) -> None:
        child = self.child("postgres")
        if not self.wait_ready(child, POSTGRES_READY_TIMEOUT):
            raise StepFailed(f"PostgreSQL did not start; see {child.log_file}")
        self.set_phase("creating service roles and databases")
        postgres.ensure_service_databases(self.profile, SERVICES_WITH_DB)

    def start_kafka(self) -> None:
        profile = self.profile
        log_file = profile.log_file("kafka")
        if not kafka.libs_ready():
            self.set_phase(f"downloading Kafka {kafka.kafka_version()} (first run only)")
            kafka.fetch_libs(profile.log_file("supervisor-steps"), self.should_stop)
        kafka.write_server_properties(profile)
        if not kafka.is_formatted(profile):
            self.set_phase("formatting Kafka storage (first run only)")
            kafka.format_storage(profile, log_file, self.should_stop)
        self.set_phase("starting Kafka")
        child = Child(
            status=self.process_status("kafka"),
            command=kafka.broker_command(profile),
            log_file=log_file,
            ready=lambda: kafka.port_open(profile.kafka_port),
            stop_timeout=KAFKA_STOP_TIMEOUT,
        )
        self.launch(child)

    def wait_kafka(self) -> None:
        child = self.child("kafka")
        self.set_phase("waiting for Kafka")
        ready = wait_until(
            lambda: kafka.answers_admin(self.profile),
            KAFKA_READY_TIMEOUT,
            self._gone_or_stop(child),
        )
        if not ready:
            raise StepFailed(
                f"Kafka did not answer within {KAFKA_READY_TIMEOUT:.0f} s; see {child.log_file}"
            )
        self.set_phase("creating Kafka topics")
        created = kafka.ensure_topics(self.profile)
        log.info("created %d topic(s)", len(created))
        self.mark("kafka", "running")

    def _gone_or_stop(self, child: Child) -> Callable[[], bool]:
        def check() -> bool:
            if child.process is not None and child.process.poll() is not None:
                raise StepFailed(
                    f"{child.name} exited with {child.process.returncode}; see {child.log_file}"
                )
            return self.stop_requested

        return check

    def wait_ready(self, child: Child, timeout: float) -> bool:
        ready = wait_until(child.ready, timeout, self._gone_or_stop(child))
        if ready:
            self.mark(child.name, "running")
        return ready

    # -- services ------------------------------------------------------------

    def migrate(self, specs: list[ServiceSpec]) -> list[ServiceSpec]:
        """Run every service's migrations at once; returns the specs that may start."""
        pending = [s for s in specs if s.migrate and not migrations.up_to_date(self.profile, s)]
        if pending:
            self.set_phase("migrating " + ", ".join(s.name for s in pending))
        runs = {s.name: self._spawn_migration(s) for s in pending}
        while any(p.poll() is None for p in runs.values()):
            if self.stop_requested:
                for migration in runs.values():
                    stop_process(migration, signal.SIGTERM, timeout=10)
                raise StopRequested("migrations")
            time.sleep(0.1)
        failed = {name for name, p in runs.items() if p.returncode != 0}
        for spec in pending:
            if spec.name not in failed:
                migrations.record_success(self.profile, spec)
        for name in sorted(failed):
            log_file = self.profile.log_file(name)
            self.mark(name, "failed", f"migrations failed; see {log_file}")
        return [s for s in specs if s.name not in failed]

    def _spawn_migration(self, spec: ServiceSpec) -> subprocess.Popen[bytes]:
        assert spec.migrate is not None
        log_file = self.profile.log_file(spec.name)
        with log_file.open("ab") as out:
            out.write(f"$ {' '.join(spec.migrate)}\n".encode())
        env = {**os.environ, **spec.env}
        return spawn(spec.migrate, log_file, env=env, cwd=Path(spec.cwd) if spec.cwd else None)

    def start_service(self, spec: ServiceSpec) -> None:
        self.set_phase(f"starting {spec.name}")
        child = Child(
            status=self.process_status(spec.name),
            command=spec.command,
            log_file=self.profile.log_file(spec.name),
            ready=http_ready(spec.port),
            env={**os.environ, **spec.env},
            cwd=Path(spec.cwd) if spec.cwd else None,
        )
        child.status.port = spec.port
        self.launch(child)

    def reload(self) -> None:
        """SIGHUP: start services added to the plan file, stop those removed from it."""
        self.reload_requested = False
        if self.plan_file is None:
            return
        wanted = read_plan(self.plan_file).services
        wanted_names = {s.name for s in wanted}
        for child in reversed(self.children):
            if child.name not in ("postgres", "kafka") and child.name not in wanted_names:
                self.stop_child(child)
                self.children.remove(child)
                self.status.processes.remove(child.status)
        running = {c.name for c in self.children}
        new = [s for s in wanted if s.name not in running]
        for spec in new:
            self.process_status(spec.name).port = spec.port
        self.specs = wanted
        for spec in self.migrate(new):
            self.start_service(spec)
        self.set_phase("supervising")

    # -- child lifecycle -----------------------------------------------------

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def launch(self, child: Child) -> None:
        if child not in self.children:
            self.children.append(child)
        account = child.account
        with child.log_file.open("ab") as out:
            child.process = subprocess.Popen(  # noqa: S603 - argv is built by this package
                child.command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=child.env,
                cwd=child.cwd,
                user=account.uid if account else None,
                group=account.gid if account else None,
                extra_groups=[] if account else None,
                # Safe here: the supervisor is single-threaded.
                preexec_fn=_die_with_parent,
            )
        child.started_monotonic = time.monotonic()
        child.status.pid = child.process.pid
        child.status.started_at = time.time()
        child.status.state = "starting"
        log.info("started %s (pid %d)", child.name, child.process.pid)
        self.save_status()

    def supervise(self) -> None:
        while not self.stop_requested:
            if self.reload_requested:
                self.reload()
            changed = False
            for child in list(self.children):
                changed |= self.check(child)
            if changed:
                self.save_status()
            time.sleep(TICK)

    def check(self, child: Child) -> bool:
        """One look at a child; returns True when its status changed."""
        now = time.monotonic()
        state = child.status.state
        if state == "restarting":
            if now >= child.restart_at:
                child.status.restarts += 1
                self.launch(child)
            return False
        if child.process is None or state in ("stopped", "failed"):
            return False
        if child.process.poll() is not None:
            self.on_exit(child, now)
            return True
        if state == "starting" and child.ready():
            child.status.state = "running"
            child.status.detail = ""
            return True
        if now - child.started_monotonic >= STABLE_AFTER:
            child.consecutive_failures = 0
        return False

    def on_exit(self, child: Child, now: float) -> None:
        assert child.process is not None
        code = child.process.returncode
        if now - child.started_monotonic >= STABLE_AFTER:
            child.consecutive_failures = 0
        child.consecutive_failures += 1
        delay = backoff_delay(child.consecutive_failures)
        log.warning("%s exited with %s; restarting in %.2f s", child.name, code, delay)
        child.restart_at = now + delay
        child.status.state = "restarting"
        child.status.pid = None
        child.status.detail = f"last exit: code {code}"

    # -- stopping ------------------------------------------------------------

    def stop_child(self, child: Child) -> None:
        if child.process is not None and child.process.poll() is None:
            log.info("stopping %s (pid %d)", child.name, child.process.pid)
            graceful = stop_process(child.process, child.stop_signal, child.stop_timeout)
            if not graceful:
                log.warning(
                    "%s ignored its stop signal for %.0f s: killed", child.name, child.stop_timeout
                )
        child.status.state = "stopped"
        child.status.pid = None

    def shutdown(self) -> None:
        """Services in reverse start order, then Kafka, then PostgreSQL."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.status.phase = "stopping"
        self.save_status()
        for child in reversed(self.children):
            self.stop_child(child)
            self.save_status()
        for entry in self.status.processes:
            if entry.state != "failed":
                entry.state = "stopped"
            entry.pid = None
        self.status.phase = "stopped"
        self.save_status()
        log.info("stopped")


def main(plan_file: Path) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    # Every readiness probe would be logged otherwise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    supervisor = Supervisor(read_plan(plan_file), plan_file)
    supervisor.install_signal_handlers()
    return supervisor.run()
