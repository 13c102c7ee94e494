"""`millbook`: run the whole back office locally (make up / make down)."""

from __future__ import annotations

import base64
import shutil
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from nacl.public import PrivateKey
from rich.console import Console
from rich.table import Table

from millbook_stack import control, demo, prereqs, supervisor
from millbook_stack.kafka import create_topics_on
from millbook_stack.profiles import INFRA, SERVICES, Profile, profile_named
from millbook_stack.services import default_specs, service_url
from millbook_stack.status import StackStatus, read_status

app = typer.Typer(help="Run Millbook's local stack: PostgreSQL, Kafka and every service.")
infra_app = typer.Typer(help="Only PostgreSQL and Kafka (what the test suite needs).")
app.add_typer(infra_app, name="infra")
console = Console()
errors = Console(stderr=True)

FIRST_RUN_TIMEOUT = 180.0
WARM_TIMEOUT = 120.0


class ProfileName(StrEnum):
    dev = "dev"
    test = "test"


ProfileOption = Annotated[
    ProfileName, typer.Option("--profile", "-p", help="dev (make up) or test (test suite)")
]


def _profile(name: ProfileName) -> Profile:
    return profile_named(name.value)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]✗[/red] {message}", soft_wrap=True)
    return typer.Exit(code=1)


class PhasePrinter:
    """Prints each finished boot phase with its duration, under a spinner."""

    def __init__(self) -> None:
        self.phase = ""
        self.since = time.monotonic()
        self.spinner = console.status("starting the supervisor")

    def __call__(self, status: StackStatus) -> None:
        if status.phase == self.phase:
            return
        if self.phase:
            console.print(f"[green]✓[/green] {self.phase} ({time.monotonic() - self.since:.1f} s)")
        self.phase, self.since = status.phase, time.monotonic()
        label = (
            "waiting for every service to be ready"
            if status.phase == "supervising"
            else status.phase
        )
        self.spinner.update(label)

    def finish(self) -> None:
        if self.phase and self.phase != "supervising":
            console.print(f"[green]✓[/green] {self.phase} ({time.monotonic() - self.since:.1f} s)")


def _start_and_wait(profile: Profile, names: list[str], timeout: float, services: bool) -> None:
    specs = default_specs(profile) if services else []
    if not control.launch_unless_running(profile, specs) and specs:
        control.add_services(profile, specs)
    printer = PhasePrinter()
    with printer.spinner:
        readiness = control.wait_ready(profile, names, timeout, printer)
    printer.finish()
    if readiness.ready:
        console.print(f"[green]✓[/green] all ready: {', '.join(names)}")
        return
    if readiness.error:
        raise _fail(f"{readiness.error} — the supervisor log is {profile.log_file('supervisor')}")
    first = readiness.waiting_for[0] if readiness.waiting_for else "supervisor"
    raise _fail(
        f"not ready after {timeout:.0f} s: {', '.join(readiness.waiting_for)}; "
        f"see {profile.log_file(first)} (`millbook down` stops what did start)"
    )


def _check_prerequisites(profile: Profile, infra_only: bool) -> None:
    found = prereqs.problems(profile, infra_only=infra_only)
    for problem in found:
        errors.print(f"[red]✗[/red] {problem}", soft_wrap=True)
    if found:
        raise typer.Exit(code=1)


def _all_planned(profile: Profile) -> bool:
    return {s.name for s in control.planned_services(profile)} >= set(SERVICES)


@app.command()
def up(
    profile_name: ProfileOption = ProfileName.dev,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="skip seeding the demo org")] = False,
) -> None:
    """Start PostgreSQL, Kafka and every service, then seed a demo organisation."""
    profile = _profile(profile_name)
    if control.is_running(profile) and _all_planned(profile):
        console.print(f"The {profile.name} stack is already running; nothing changed.")
        console.print("`millbook status` shows it, `make down` stops it.")
        return
    if not control.is_running(profile):
        _check_prerequisites(profile, infra_only=False)
    first_run = not (profile.state_dir / "kafka" / "data" / "meta.properties").exists()
    timeout = FIRST_RUN_TIMEOUT if first_run else WARM_TIMEOUT
    _start_and_wait(profile, [*INFRA, *SERVICES], timeout, services=True)
    if not no_demo:
        _seed_demo(profile)
    _print_urls(profile)


def _seed_demo(profile: Profile) -> None:
    credentials = demo.demo_credentials(profile)
    try:
        outcome = demo.seed(profile, credentials)
    except (RuntimeError, OSError) as error:
        raise _fail(
            f"{error} The stack is running; `make down` then `make up` seeds again."
        ) from None
    if outcome.get("created"):
        console.print("[bold]Demo organisation created.[/bold] Sign in with:")
        console.print(f"  email:    {credentials.email}")
        console.print(f"  password: {credentials.password}")
        console.print(f"  (saved in {demo.credentials_file(profile)})")
    else:
        console.print(f"Demo organisation already there ({credentials.email}).")


def _print_urls(profile: Profile) -> None:
    gateway = service_url(profile, "gateway")
    console.print(f"\nGateway:  {gateway}\nAPI docs: {gateway}/docs")
    for name in SERVICES:
        console.print(f"  metrics of {name:<11} {service_url(profile, name)}/metrics")
    console.print(
        "\n`millbook status` shows the processes; `make down` stops them (state is kept)."
    )


@app.command()
def down(profile_name: ProfileOption = ProfileName.dev) -> None:
    """Stop services, Kafka and PostgreSQL. State is kept."""
    profile = _profile(profile_name)
    if not control.is_running(profile):
        leftovers = control.kill_leftovers(profile)
        note = f" (killed {len(leftovers)} leftover process(es))" if leftovers else ""
        console.print(f"The {profile.name} stack is not running{note}.")
        return
    with console.status(f"stopping the {profile.name} stack"):
        control.stop(profile)
    console.print(
        f"[green]✓[/green] the {profile.name} stack is stopped (state kept in {profile.state_dir})."
    )


def _uptime(started_at: float | None, state: str) -> str:
    if not started_at or state not in ("running", "starting"):
        return "-"
    seconds = int(time.time() - started_at)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s"


@app.command()
def status(profile_name: ProfileOption = ProfileName.dev) -> None:
    """Each process: state, pid, restarts, port, uptime."""
    profile = _profile(profile_name)
    current = read_status(profile.status_file)
    running = control.is_running(profile)
    if current is None or not running:
        console.print(f"The {profile.name} stack is not running.")
        return
    table = Table(title=f"millbook {profile.name} stack — {current.phase}")
    for column in ("process", "state", "pid", "restarts", "port", "uptime"):
        table.add_column(column)
    colours = {"running": "green", "starting": "yellow", "restarting": "yellow", "failed": "red"}
    for entry in current.processes:
        colour = colours.get(entry.state, "white")
        table.add_row(
            entry.name,
            f"[{colour}]{entry.state}[/{colour}]",
            str(entry.pid or "-"),
            str(entry.restarts),
            str(entry.port or "-"),
            _uptime(entry.started_at, entry.state),
        )
    console.print(table)


LOG_NAMES = ("postgres", "kafka", "supervisor", *SERVICES)


@app.command()
def logs(
    name: Annotated[str, typer.Argument(help=f"one of: {', '.join(LOG_NAMES)}")],
    follow: Annotated[bool, typer.Option("--follow", "-f")] = False,
    lines: Annotated[int, typer.Option("-n", "--lines")] = 50,
    profile_name: ProfileOption = ProfileName.dev,
) -> None:
    """Show the end of one process's log."""
    if name not in LOG_NAMES:
        raise _fail(f"no log named {name!r}: choose one of {', '.join(LOG_NAMES)}")
    path = _profile(profile_name).log_file(name)
    if not path.is_file():
        raise _fail(f"{path} does not exist yet: `millbook up` creates it")
    _print_tail(path, lines)
    if follow:
        _follow(path)


def _print_tail(path: Path, lines: int) -> None:
    text = path.read_text(errors="replace").splitlines()
    for line in text[-lines:] if lines > 0 else []:
        typer.echo(line)


def _follow(path: Path) -> None:
    with path.open(errors="replace") as log_file:
        log_file.seek(0, 2)
        try:
            while True:
                line = log_file.readline()
                if line:
                    typer.echo(line, nl=False)
                else:
                    time.sleep(0.3)
        except KeyboardInterrupt:
            return


@app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
    profile_name: ProfileOption = ProfileName.dev,
) -> None:
    """Stop the stack and delete its data (the Kafka download is kept)."""
    profile = _profile(profile_name)
    question = (
        f"Delete every database, topic and log of the {profile.name} stack in {profile.state_dir}?"
    )
    if not yes and not typer.confirm(question):
        raise typer.Exit(code=1)
    if control.is_running(profile):
        with console.status("stopping"):
            control.stop(profile)
    shutil.rmtree(profile.state_dir, ignore_errors=True)
    console.print(f"[green]✓[/green] {profile.state_dir} removed.")


@infra_app.command("up")
def infra_up(profile_name: ProfileOption = ProfileName.test) -> None:
    """Start only PostgreSQL and Kafka, with roles, databases and topics."""
    profile = _profile(profile_name)
    if control.is_running(profile):
        console.print(f"The {profile.name} stack is already running; nothing changed.")
        return
    _check_prerequisites(profile, infra_only=True)
    _start_and_wait(profile, list(INFRA), FIRST_RUN_TIMEOUT, services=False)


@infra_app.command("down")
def infra_down(profile_name: ProfileOption = ProfileName.test) -> None:
    """Stop PostgreSQL and Kafka (and any service running with them)."""
    down(profile_name)


@app.command()
def topics(
    bootstrap_servers: Annotated[str, typer.Option("--bootstrap", help="host:port of a broker")],
) -> None:
    """Create Millbook's topics (and their .dlq) on a broker that is already running."""
    created = create_topics_on(bootstrap_servers)
    console.print(f"created {len(created)} topics" if created else "all topics exist")


@app.command("seal-keys")
def seal_keys() -> None:
    """Print a new inbox sealing key pair as env lines, for `docker compose` (keep it private)."""
    key = PrivateKey.generate()
    print(f"MILLBOOK_INBOX_SEAL_PUBLIC_KEY={base64.b64encode(bytes(key.public_key)).decode()}")
    print(f"MILLBOOK_INBOX_SEAL_PRIVATE_KEY={base64.b64encode(bytes(key)).decode()}")


@app.command(hidden=True)
def supervise(
    plan: Annotated[Path | None, typer.Option(help="plan file written by `up`")] = None,
    profile_name: ProfileOption = ProfileName.dev,
) -> None:
    """Run the supervisor in the foreground (`up` starts it detached)."""
    if plan is None:
        profile = _profile(profile_name)
        plan = profile.plan_file
        supervisor.write_plan(plan, supervisor.Plan(profile, default_specs(profile)))
    raise typer.Exit(code=supervisor.main(plan))
