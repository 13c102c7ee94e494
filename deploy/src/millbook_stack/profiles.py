"""Port layouts and state folders of the local stack, one per profile."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Start order: every service needs identity (tokens), and the gateway fronts them all.
SERVICES: tuple[str, ...] = (
    "identity",
    "sales",
    "billing",
    "purchasing",
    "inbox",
    "analytics",
    "gateway",
)
SERVICES_WITH_DB: tuple[str, ...] = tuple(name for name in SERVICES if name != "gateway")
INFRA: tuple[str, ...] = ("postgres", "kafka")


def find_repo_root(start: Path | None = None) -> Path:
    """The folder whose pyproject.toml declares the uv workspace."""
    here = (start or Path(__file__)).resolve()
    for folder in [here, *here.parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text():
            return folder
    raise RuntimeError(f"no uv workspace pyproject.toml above {here}")


@dataclass(frozen=True)
class Profile:
    """Where one stack keeps its state and which loopback ports it binds."""

    name: str
    state_dir: Path
    pg_port: int
    kafka_port: int
    kafka_controller_port: int
    service_ports: dict[str, int] = field(default_factory=dict)
    # Off only for throwaway test data: fsync=off loses the books on a crash.
    durable: bool = True

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def status_file(self) -> Path:
        return self.state_dir / "status.json"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "supervisor.pid"

    @property
    def plan_file(self) -> Path:
        return self.state_dir / "plan.json"

    def log_file(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def port_of(self, name: str) -> int:
        if name == "postgres":
            return self.pg_port
        if name == "kafka":
            return self.kafka_port
        return self.service_ports[name]

    def all_ports(self) -> dict[str, int]:
        """Every port the stack binds, by the process that binds it."""
        ports = {"postgres": self.pg_port, "kafka": self.kafka_port}
        ports["kafka controller"] = self.kafka_controller_port
        ports.update(self.service_ports)
        return ports

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["state_dir"] = str(self.state_dir)
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Profile:
        fields = dict(data)
        fields["state_dir"] = Path(str(fields["state_dir"]))
        return cls(**fields)  # type: ignore[arg-type]


def _ports_from(base: int) -> dict[str, int]:
    """gateway on base, then identity base+1 ... analytics base+6."""
    order = ("gateway", *SERVICES_WITH_DB)
    return {name: base + offset for offset, name in enumerate(order)}


def dev_profile() -> Profile:
    default_state = find_repo_root() / ".millbook" / "stack"
    state_dir = Path(os.environ.get("MILLBOOK_STATE_DIR") or default_state)
    return Profile(
        name="dev",
        state_dir=state_dir,
        pg_port=15432,
        kafka_port=19092,
        kafka_controller_port=19093,
        service_ports=_ports_from(8000),
        durable=True,
    )


def test_profile() -> Profile:
    """The suite's stack. MILLBOOK_TEST_SLOT=N (1-9) gives a second checkout or a
    parallel run its own ports and state, so two suites never share a stack."""
    slot = _test_slot()
    suffix = f"-{slot}" if slot else ""
    return Profile(
        name="test",
        state_dir=find_repo_root() / ".millbook" / f"test{suffix}",
        pg_port=15442 + 100 * slot,
        kafka_port=19192 + 100 * slot,
        kafka_controller_port=19193 + 100 * slot,
        service_ports=_ports_from(18000 + 100 * slot),
        durable=False,
    )


def _test_slot() -> int:
    raw = os.environ.get("MILLBOOK_TEST_SLOT", "0")
    if not raw.isdigit() or not 0 <= int(raw) <= 9:
        raise ValueError(f"MILLBOOK_TEST_SLOT must be a digit 0-9, not {raw!r}")
    return int(raw)


PROFILE_NAMES = ("dev", "test")


def profile_named(name: str) -> Profile:
    if name == "dev":
        return dev_profile()
    if name == "test":
        return test_profile()
    raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}")
