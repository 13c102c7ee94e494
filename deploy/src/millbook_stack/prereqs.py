"""What `up` checks before starting anything; each problem is one sentence with its fix."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess

from millbook_stack import kafka, postgres
from millbook_stack.profiles import Profile

MIN_JAVA = 17


def java_major(version_output: str) -> int | None:
    """17 from `openjdk version "17.0.15"`, 8 from `java version "1.8.0_392"`."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_java() -> str | None:
    fix = f"Java {MIN_JAVA}+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"
    java = shutil.which("java")
    if java is None:
        return fix
    result = subprocess.run(  # noqa: S603 - fixed argv
        [java, "-version"], capture_output=True, text=True, check=False
    )
    major = java_major(result.stderr + result.stdout)
    if major is None or major < MIN_JAVA:
        return f"{fix} (found Java {major or 'of unknown version'})"
    return None


def check_maven() -> str | None:
    if kafka.libs_ready() or shutil.which("mvn"):
        return None
    return "Maven is needed to download Kafka from Maven Central once: apt-get install maven"


def check_postgres() -> str | None:
    missing = [p for p in ("initdb", "postgres") if postgres.find_program(p) is None]
    if not missing:
        return None
    return (
        f"PostgreSQL server programs ({', '.join(missing)}) are not on PATH nor in "
        "/usr/lib/postgresql/*/bin: apt-get install postgresql"
    )


def check_account() -> str | None:
    try:
        postgres.server_account()
    except KeyError:
        return (
            f"PostgreSQL cannot run as root and the '{postgres.SERVER_ACCOUNT}' account "
            f"is missing: useradd --system {postgres.SERVER_ACCOUNT}"
        )
    return None


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def port_problems(profile: Profile, infra_only: bool = False) -> list[str]:
    ports = profile.all_ports()
    if infra_only:
        ports = {k: v for k, v in ports.items() if k.startswith(("postgres", "kafka"))}
    return [
        f"Port {port} ({name}) is already in use by another program: stop that program, "
        f"or use another profile (--profile {'test' if profile.name == 'dev' else 'dev'})"
        for name, port in ports.items()
        if port_in_use(port)
    ]


def problems(profile: Profile, infra_only: bool = False) -> list[str]:
    """Everything that would stop the stack of this profile from starting."""
    found = [check_java(), check_maven(), check_postgres(), check_account()]
    return [p for p in found if p] + port_problems(profile, infra_only)
