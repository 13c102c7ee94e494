"""How each Millbook service is migrated, started and told where everything is."""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from millbook_stack.kafka import bootstrap
from millbook_stack.postgres import database_url
from millbook_stack.profiles import SERVICES, SERVICES_WITH_DB, Profile, find_repo_root


@dataclass(frozen=True)
class ServiceSpec:
    """One supervised service; tests build these to run fake services."""

    name: str
    port: int
    command: list[str]
    # Run to completion before the first start; None when there is no database.
    migrate: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = ""
    # Folders (relative to cwd) whose files decide whether migrations must run
    # again; empty means always run them.
    source_dirs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ServiceSpec:
        return cls(**data)  # type: ignore[arg-type]


def service_url(profile: Profile, name: str) -> str:
    return f"http://127.0.0.1:{profile.service_ports[name]}"


def upstreams(profile: Profile) -> dict[str, str]:
    return {name: service_url(profile, name) for name in SERVICES_WITH_DB}


def signing_key_passphrase_file(profile: Profile) -> Path:
    """Where the stack keeps the passphrase identity encrypts its signing keys with."""
    return profile.state_dir / "signing-key-passphrase"


def ensure_signing_key_passphrase(profile: Profile) -> Path:
    """Generate the stack's signing-key passphrase once (mode 600); later launches reuse it."""
    path = signing_key_passphrase_file(profile)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    try:
        os.link(temporary, path)  # never replaces a passphrase another launch wrote first
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path


def service_env(profile: Profile, name: str) -> dict[str, str]:
    """The environment a service process gets on top of os.environ."""
    env = {
        "MILLBOOK_SERVICE_NAME": name,
        "MILLBOOK_KAFKA_BOOTSTRAP_SERVERS": bootstrap(profile),
        "MILLBOOK_IDENTITY_URL": service_url(profile, "identity"),
    }
    if name in SERVICES_WITH_DB:
        env["MILLBOOK_DATABASE_URL"] = database_url(profile, name)
    if name == "gateway":
        env["MILLBOOK_UPSTREAMS"] = json.dumps(upstreams(profile))
    if name == "identity":
        # The path, not the secret: the plan file that keeps this env is not private.
        env["MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE"] = str(signing_key_passphrase_file(profile))
    return env


def full_env(profile: Profile, name: str) -> dict[str, str]:
    return {**os.environ, **service_env(profile, name)}


def app_module(name: str) -> str:
    return f"millbook_{name}.main:app"


def default_spec(profile: Profile, name: str) -> ServiceSpec:
    port = profile.service_ports[name]
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app_module(name),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    migrate = None
    if name in SERVICES_WITH_DB:
        ini = f"services/{name}/alembic.ini"
        migrate = [sys.executable, "-m", "alembic", "-c", ini, "upgrade", "heads"]
    return ServiceSpec(
        name,
        port,
        command,
        migrate,
        service_env(profile, name),
        cwd=str(find_repo_root()),
        # Migrations import the service, the platform library and the contracts.
        source_dirs=[f"services/{name}", "libs", "contracts"],
    )


def default_specs(profile: Profile, names: list[str] | None = None) -> list[ServiceSpec]:
    """Specs in start order; unknown names are an error worth a clear message."""
    wanted = list(SERVICES) if names is None else names
    unknown = sorted(set(wanted) - set(SERVICES))
    if unknown:
        raise ValueError(f"unknown service(s) {', '.join(unknown)}: known are {SERVICES}")
    return [default_spec(profile, name) for name in SERVICES if name in wanted]
