"""A stand-in for a Millbook service: answers /health/ready and shows its env.

Run as `python fake_service.py PORT` (the service) or
`python fake_service.py --migrate FILE` (a "migration" that appends to FILE).
"""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health/ready":
            self._reply(200, {"status": "ready"})
        elif self.path == "/env":
            self._reply(200, {k: v for k, v in os.environ.items() if k.startswith("MILLBOOK_")})
        else:
            self._reply(404, {"detail": "not found"})

    def _reply(self, code: int, body: dict[str, str]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    if sys.argv[1] == "--migrate":
        with open(sys.argv[2], "a") as out:
            out.write(os.environ.get("MILLBOOK_SERVICE_NAME", "?") + "\n")
        return
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
