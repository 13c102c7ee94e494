"""A private PostgreSQL cluster: one database and one login role per service."""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from millbook_stack.profiles import Profile

# initdb and postgres refuse to run as root; this account runs the cluster then.
SERVER_ACCOUNT = "nobody"
# A Unix socket path longer than this does not fit in sockaddr_un (108 bytes).
MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class Account:
    """The uid/gid a server process drops to; None everywhere when not root."""

    uid: int
    gid: int
    name: str


def server_account() -> Account | None:
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(SERVER_ACCOUNT)
    return Account(uid=entry.pw_uid, gid=entry.pw_gid, name=SERVER_ACCOUNT)


def find_program(program: str) -> Path | None:
    """On PATH, else the newest Debian versioned folder /usr/lib/postgresql/<v>/bin."""
    found = shutil.which(program)
    if found:
        return Path(found)
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{program}")
    candidates.sort(key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]) if candidates else None


def require_program(program: str) -> Path:
    found = find_program(program)
    if found is None:
        raise RuntimeError(f"{program} not found: apt-get install postgresql")
    return found


def data_dir(profile: Profile) -> Path:
    return profile.state_dir / "postgres" / "data"


def socket_dir(profile: Profile) -> Path:
    preferred = profile.state_dir / "postgres" / "run"
    if len(str(preferred / f".s.PGSQL.{profile.pg_port}")) <= MAX_SOCKET_PATH:
        return preferred
    digest = hashlib.sha256(str(profile.state_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"millbook-pg-{digest}"


def prepare_folders(profile: Profile, account: Account | None) -> None:
    """Data and socket folders must belong to the account that runs the server."""
    for folder in (data_dir(profile), socket_dir(profile)):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        if account is not None:
            os.chown(folder, account.uid, account.gid)


def unreachable_folder(path: Path, account: Account | None) -> Path | None:
    """The first parent folder the server account cannot enter, if any."""
    if account is None:
        return None
    for folder in reversed(path.resolve().parents):
        if not folder.exists():
            return None
        info = folder.stat()
        if info.st_uid == account.uid:
            continue
        if not info.st_mode & 0o001:
            return folder
    return None


def is_initialised(profile: Profile) -> bool:
    return (data_dir(profile) / "PG_VERSION").is_file()


def initdb_command(profile: Profile) -> list[str]:
    return [
        str(require_program("initdb")),
        "-D",
        str(data_dir(profile)),
        "-A",
        "trust",
        "-U",
        "postgres",
        "--encoding=UTF8",
        "--no-instructions",
    ]


def server_settings(profile: Profile) -> list[str]:
    settings = ["listen_addresses=127.0.0.1"]
    if not profile.durable:
        # Throwaway test data only: a crash may lose or corrupt it.
        settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
    return settings


def server_command(profile: Profile) -> list[str]:
    """The postmaster in the foreground, so the supervisor owns and reaps it.

    Same options pg_ctl would pass with -o; stopping it with SIGINT is exactly
    what `pg_ctl -m fast stop` does.
    """
    command = [
        str(require_program("postgres")),
        "-D",
        str(data_dir(profile)),
        "-p",
        str(profile.pg_port),
        "-k",
        str(socket_dir(profile)),
    ]
    for setting in server_settings(profile):
        command += ["-c", setting]
    return command


def admin_dsn(profile: Profile) -> str:
    return f"postgresql://postgres@127.0.0.1:{profile.pg_port}/postgres"


def role_dsn(profile: Profile, name: str) -> str:
    return f"postgresql://{name}@127.0.0.1:{profile.pg_port}/{name}"


def database_url(profile: Profile, name: str) -> str:
    """SQLAlchemy URL for a service: its own non-superuser role, so RLS applies."""
    return f"postgresql+psycopg://{name}@127.0.0.1:{profile.pg_port}/{name}"


def accepts_connections(profile: Profile) -> bool:
    try:
        with psycopg.connect(admin_dsn(profile), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _ensure_role(conn: psycopg.Connection, role: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(
        sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS").format(
            sql.SQL(verb), sql.Identifier(role)
        )
    )


def _ensure_database(conn: psycopg.Connection, database: str, owner: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
    if exists:
        statement = "ALTER DATABASE {} OWNER TO {}"
    else:
        statement = "CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0"
    conn.execute(sql.SQL(statement).format(sql.Identifier(database), sql.Identifier(owner)))


def ensure_service_databases(profile: Profile, names: tuple[str, ...] | list[str]) -> None:
    """One LOGIN role and one database it owns per service; safe to repeat."""
    with psycopg.connect(admin_dsn(profile), autocommit=True) as conn:
        for name in names:
            _ensure_role(conn, name)
            _ensure_database(conn, name, name)


def create_scratch_database(profile: Profile, dbname: str, owner: str) -> str:
    """A fresh database for one test, owned by a (new if need be) non-superuser role.

    Returns the SQLAlchemy URL that connects as the owner.
    """
    with psycopg.connect(admin_dsn(profile), autocommit=True) as conn:
        _ensure_role(conn, owner)
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )
        _ensure_database(conn, dbname, owner)
    return f"postgresql+psycopg://{owner}@127.0.0.1:{profile.pg_port}/{dbname}"
