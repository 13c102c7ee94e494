"""The demo organisation `up` seeds through the identity service's own command."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from millbook_stack.profiles import Profile, find_repo_root
from millbook_stack.services import full_env

DEFAULT_EMAIL = "admin@millbook.example.com"


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str


def credentials_file(profile: Profile) -> Path:
    return profile.state_dir / "demo-credentials.json"


def demo_credentials(profile: Profile) -> Credentials:
    """From the environment, else the ones saved by an earlier run, else new ones."""
    email = os.environ.get("MILLBOOK_DEMO_EMAIL")
    password = os.environ.get("MILLBOOK_DEMO_PASSWORD")
    if email and password:
        return Credentials(email, password)
    path = credentials_file(profile)
    if path.is_file():
        saved = json.loads(path.read_text())
        return Credentials(saved["email"], saved["password"])
    created = Credentials(email or DEFAULT_EMAIL, secrets.token_urlsafe(12))
    _save(path, created)
    return created


def _save(path: Path, credentials: Credentials) -> None:
    # Created with mode 600 from the start: the password is never world-readable.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"email": credentials.email, "password": credentials.password}, out)


def seed(profile: Profile, credentials: Credentials) -> dict[str, object]:
    """Run millbook_identity.demo; it prints one JSON line about the organisation."""
    command = [
        sys.executable,
        "-m",
        "millbook_identity.demo",
        "--email",
        credentials.email,
    ]
    result = subprocess.run(  # noqa: S603 - argv is built by this package
        command,
        capture_output=True,
        text=True,
        env={**full_env(profile, "identity"), "MILLBOOK_DEMO_PASSWORD": credentials.password},
        cwd=find_repo_root(),
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["demo seed failed: no output"])[-1]
        raise RuntimeError(last)
    lines = [line for line in result.stdout.splitlines() if line.strip().startswith("{")]
    if not lines:
        raise RuntimeError("the demo seed printed no JSON line")
    outcome: dict[str, object] = json.loads(lines[-1])
    return outcome
