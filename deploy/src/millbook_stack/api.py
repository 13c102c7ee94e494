"""What the test suite uses to get a real stack: infra, services, URLs and env."""

from __future__ import annotations

from millbook_stack import control, prereqs
from millbook_stack.kafka import bootstrap as kafka_bootstrap
from millbook_stack.kafka import ensure_topics
from millbook_stack.postgres import admin_dsn, create_scratch_database, database_url
from millbook_stack.profiles import INFRA, Profile, dev_profile, profile_named, test_profile
from millbook_stack.services import ServiceSpec, default_specs, service_env, service_url

__all__ = [
    "Profile",
    "ServiceSpec",
    "admin_dsn",
    "create_scratch_database",
    "database_url",
    "dev_profile",
    "ensure_infra",
    "ensure_topics",
    "kafka_bootstrap",
    "profile_named",
    "service_env",
    "service_url",
    "start_services",
    "stop_all",
    "stop_infra",
    "test_profile",
]

INFRA_TIMEOUT = 240.0
SERVICES_TIMEOUT = 120.0


class StackError(RuntimeError):
    """The stack could not be started; the message says why and how to fix it."""


def _wait(profile: Profile, names: list[str], timeout: float) -> None:
    readiness = control.wait_ready(profile, names, timeout)
    if not readiness.ready:
        reason = readiness.error or f"not ready after {timeout:.0f} s: {readiness.waiting_for}"
        raise StackError(f"{reason} (logs in {profile.logs_dir})")


def ensure_infra(profile: Profile, timeout: float = INFRA_TIMEOUT) -> bool:
    """Start PostgreSQL and Kafka unless running; True when this call started them."""
    started = False
    if not control.is_running(profile):
        problems = prereqs.problems(profile, infra_only=True)
        if problems:
            raise StackError(" ".join(problems))
        started = control.launch_unless_running(profile, [])
    _wait(profile, list(INFRA), timeout)
    return started


def start_services(
    profile: Profile,
    names: list[str] | None = None,
    specs: list[ServiceSpec] | None = None,
    timeout: float = SERVICES_TIMEOUT,
) -> None:
    """Run services (the real ones by name, or given specs) under the supervisor."""
    ensure_infra(profile)
    wanted = specs if specs is not None else default_specs(profile, names)
    control.add_services(profile, wanted)
    _wait(profile, [s.name for s in wanted], timeout)


def stop_all(profile: Profile) -> bool:
    """Stop services, Kafka and PostgreSQL; state is kept. False if nothing ran."""
    return control.stop(profile)


def stop_infra(profile: Profile) -> bool:
    """Infra cannot outlive the services that use it, so this stops everything."""
    return control.stop(profile)
