"""How each Millbook service is migrated, started and told where everything is."""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nacl.public import PrivateKey

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
    _write_once(path, secrets.token_urlsafe(32) + "\n")
    return path


def inbox_seal_key_files(profile: Profile) -> tuple[Path, Path]:
    """Where the stack keeps the inbox's sealing key pair: (public, private)."""
    return (
        profile.state_dir / "inbox-seal-public-key",
        profile.state_dir / "inbox-seal-private-key",
    )


def ensure_inbox_seal_keys(profile: Profile) -> tuple[Path, Path]:
    """Generate the inbox's sealing key pair once per state folder (the private half mode 600).

    Identity seals password-reset tokens to the public half; only the inbox, which gets
    the private half, can open them. Later launches reuse the pair: a new one would make
    the tokens still travelling through Kafka unreadable.
    """
    public, private = inbox_seal_key_files(profile)
    if not private.exists():
        _write_once(private, base64.b64encode(bytes(PrivateKey.generate())).decode() + "\n")
    # Derived from the private file that won (another launch may have written it first).
    stored = PrivateKey(base64.b64decode(private.read_text().strip()))
    _write_once(public, base64.b64encode(bytes(stored.public_key)).decode() + "\n")
    return public, private


def _write_once(path: Path, content: str) -> None:
    """Write `content` to `path` (mode 600) unless it exists, atomically."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(content)
    try:
        os.link(temporary, path)  # never replaces a secret another launch wrote first
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def service_env(profile: Profile, name: str) -> dict[str, str]:
    """The environment a service process gets on top of os.environ."""
    env = {
        "MILLBOOK_SERVICE_NAME": name,
        "MILLBOOK_KAFKA_BOOTSTRAP_SERVERS": bootstrap(profile),
        "MILLBOOK_IDENTITY_URL": service_url(profile, "identity"),
    }
    if name in SERVICES_WITH_DB:
        env["MILLBOOK_DATABASE_URL"] = database_url(profile, name)
    if name in SERVICES_WITH_DB and name in profile.service_ports:
        # One process per service here, on a fixed port: its consumers rejoin as themselves.
        env["MILLBOOK_INSTANCE_ID"] = f"127.0.0.1:{profile.service_ports[name]}"
    if name == "gateway":
        env["MILLBOOK_UPSTREAMS"] = json.dumps(upstreams(profile))
    if name == "identity":
        # The path, not the secret: the plan file that keeps this env is not private.
        env["MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE"] = str(signing_key_passphrase_file(profile))
        env["MILLBOOK_INBOX_SEAL_PUBLIC_KEY_FILE"] = str(inbox_seal_key_files(profile)[0])
    if name == "inbox":
        env["MILLBOOK_INBOX_SEAL_PRIVATE_KEY_FILE"] = str(inbox_seal_key_files(profile)[1])
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
