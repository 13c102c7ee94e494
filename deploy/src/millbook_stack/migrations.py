"""Skipping `alembic upgrade head` when nothing it depends on has changed.

Each run imports SQLAlchemy and Alembic (about 2 s of CPU); six of them made a
warm `make up` slow on two cores. A run is skipped only when the files that
could change its outcome are exactly as they were after the last successful run
and the database still reports the same alembic version.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import psycopg

from millbook_stack.profiles import Profile
from millbook_stack.services import ServiceSpec

WATCHED_SUFFIXES = (".py", ".ini", ".mako", ".toml", ".sql")


def stamp_file(profile: Profile, name: str) -> Path:
    return profile.state_dir / "migrations" / f"{name}.json"


def source_fingerprint(folders: list[Path]) -> str:
    """Paths, sizes and modification times of every file a migration may import."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in WATCHED_SUFFIXES and "__pycache__" not in path.parts:
                info = path.stat()
                digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def applied_versions(database_url: str) -> list[str] | None:
    """alembic_version rows, or None when they cannot be read (run migrations then)."""
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except psycopg.Error:
        return None
    return sorted(str(row[0]) for row in rows)


def _current_stamp(spec: ServiceSpec) -> dict[str, object] | None:
    url = spec.env.get("MILLBOOK_DATABASE_URL")
    if not spec.source_dirs or not url:
        return None
    versions = applied_versions(url)
    if versions is None:
        return None
    root = Path(spec.cwd or ".")
    fingerprint = source_fingerprint([root / folder for folder in spec.source_dirs])
    return {"fingerprint": fingerprint, "versions": versions}


def up_to_date(profile: Profile, spec: ServiceSpec) -> bool:
    path = stamp_file(profile, spec.name)
    if not path.is_file():
        return False
    current = _current_stamp(spec)
    return current is not None and json.loads(path.read_text()) == current


def record_success(profile: Profile, spec: ServiceSpec) -> None:
    current = _current_stamp(spec)
    path = stamp_file(profile, spec.name)
    if current is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current))
