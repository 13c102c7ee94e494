"""JSON logs carrying request id, trace id and tenant id."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from millbook_platform.requestctx import request_id_var, tenant_id_var
from millbook_platform.tracing import current_trace_id


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
            "tenant_id": tenant_id_var.get(),
            "trace_id": current_trace_id(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in entry.items() if v is not None})


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn writes access lines only while its access logger has somewhere to write;
    # with --no-access-log it has none, and making it propagate would turn them back on.
    access = logging.getLogger("uvicorn.access")
    if access.handlers:
        access.handlers[:] = []
        access.propagate = True
