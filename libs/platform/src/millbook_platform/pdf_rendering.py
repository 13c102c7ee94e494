"""PDF rendering in worker processes, with a deadline.

Rendering is CPU-bound Python: in a thread it would hold the GIL against the event loop, and
a thread cannot be stopped. A worker process runs on the other core and can be: past the
deadline it is killed (its CPU is free at once) and replaced on the next render, and the
request answers 503 with `Retry-After`. Waiting for a busy worker counts against the same
deadline. Workers start on first use, so a process that never prints pays nothing.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from millbook_platform.errors import UpstreamUnavailable
from millbook_platform.pdf import PdfDocument

log = logging.getLogger("millbook.pdf")

RETRY_AFTER_S = 30


class _Worker:
    """One spawned process that renders the documents sent down its pipe, one at a time."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process running an event loop
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child,), name="millbook-pdf", daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        """Block until the process has imported the renderer (seconds on a busy machine)."""
        if not self.ready:
            self.connection.recv()
            self.ready = True

    def render(self, document: PdfDocument) -> bytes:
        self.connection.send(document)
        outcome, value = self.connection.recv()
        if outcome != "ok":
            raise RuntimeError(f"PDF rendering failed: {value}")
        assert isinstance(value, bytes)
        return value

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


def _serve(connection: Connection) -> None:
    from millbook_platform.pdf_layout import render_pdf  # only this process pays for fpdf2

    connection.send(("ready", None))
    while True:
        try:
            document = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", render_pdf(document)))
        except Exception as exc:
            connection.send(("error", f"{type(exc).__name__}: {exc}"))


class PdfRenderer:
    """At most `workers` renders at once, each answered within `deadline_s` or stopped."""

    def __init__(self, *, workers: int = 1, deadline_s: float = 20.0) -> None:
        self.deadline_s = deadline_s
        self._idle: asyncio.Queue[_Worker | None] | None = None
        self._workers = workers
        self._started: set[_Worker] = set()

    async def render(self, document: PdfDocument) -> bytes:
        """The document's PDF; 503 `UPSTREAM_UNAVAILABLE` when it is not ready by the deadline."""
        idle = self._queue()
        acquired, worker = False, None
        try:
            # Waiting for a free worker, and for a new one to start, has its own allowance:
            # the deadline is the render's.
            async with asyncio.timeout(self.deadline_s):
                worker = await idle.get()
                acquired = True
                if worker is None or not worker.process.is_alive():
                    self._discard(worker)
                    worker = self._start()
                await asyncio.to_thread(worker.wait_ready)
            async with asyncio.timeout(self.deadline_s):
                pdf = await asyncio.to_thread(worker.render, document)
        except BaseException as exc:
            if acquired:  # stopped or failed mid-render: its pipe may still hold an answer
                self._discard(worker)
                worker = None
            if isinstance(exc, TimeoutError):
                raise self._too_slow() from None
            raise
        finally:
            if acquired:
                idle.put_nowait(worker)
        return pdf

    def prestart(self) -> None:
        """Start the workers now, so the first render does not wait for Python to import."""
        idle = self._queue()
        for slot in [idle.get_nowait() for _ in range(idle.qsize())]:
            idle.put_nowait(slot or self._start())

    def close(self) -> None:
        """Stop every worker (the app's shutdown)."""
        for worker in list(self._started):
            self._discard(worker)
        self._idle = None

    def _queue(self) -> asyncio.Queue[_Worker | None]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self._workers):
                self._idle.put_nowait(None)  # a place for a worker, started when first needed
        return self._idle

    def _start(self) -> _Worker:
        worker = _Worker()  # its answer "ready" waits in the pipe for `wait_ready`
        self._started.add(worker)
        return worker

    def _discard(self, worker: _Worker | None) -> None:
        if worker is not None:
            self._started.discard(worker)
            worker.kill()

    def _too_slow(self) -> UpstreamUnavailable:
        log.warning("a PDF render passed its %.0f s deadline and was stopped", self.deadline_s)
        return UpstreamUnavailable(
            f"The PDF could not be rendered within {self.deadline_s:g} s and its rendering was"
            " stopped: the service is busy. Retry later.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


_renderer = PdfRenderer()


def start(*, workers: int, deadline_s: float, prestart: bool = True) -> None:
    """Set up the process's renderer (the app factory does, from settings) and, unless told
    not to, start its workers now; otherwise each starts at its first render."""
    global _renderer
    _renderer.close()
    _renderer = PdfRenderer(workers=workers, deadline_s=deadline_s)
    if prestart:
        _renderer.prestart()


async def render(document: PdfDocument) -> bytes:
    """The document as PDF, rendered off the event loop by the process's renderer."""
    return await _renderer.render(document)


def close() -> None:
    _renderer.close()
