"""The status file: what the supervisor tells `up`, `status` and the tests."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

State = Literal["starting", "running", "restarting", "stopped", "failed"]


@dataclass
class ProcessStatus:
    name: str
    state: State = "starting"
    pid: int | None = None
    restarts: int = 0
    port: int | None = None
    started_at: float | None = None
    detail: str = ""


@dataclass
class StackStatus:
    profile: str
    supervisor_pid: int
    phase: str = "starting"
    # Set when the supervisor gave up booting; `up` prints it and the log path.
    error: str = ""
    updated_at: float = field(default_factory=time.time)
    processes: list[ProcessStatus] = field(default_factory=list)

    def process(self, name: str) -> ProcessStatus | None:
        return next((p for p in self.processes if p.name == name), None)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> StackStatus:
        raw_processes = data.get("processes") or []
        assert isinstance(raw_processes, list)
        fields = {k: v for k, v in data.items() if k != "processes"}
        status = cls(**fields)  # type: ignore[arg-type]
        status.processes = [ProcessStatus(**p) for p in raw_processes]
        return status


def write_status(path: Path, status: StackStatus) -> None:
    """Replace the file atomically so a reader never sees half a document."""
    status.updated_at = time.time()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(status.to_json(), indent=2))
    os.replace(temporary, path)


def read_status(path: Path) -> StackStatus | None:
    try:
        return StackStatus.from_json(json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
