import asyncio
import time

import pytest

from millbook_platform.errors import UpstreamUnavailable
from millbook_platform.pdf import PdfDocument
from millbook_platform.pdf_rendering import PdfRenderer

LONG_TEXT = "Custom machined bracket, anodised aluminium 6082-T6, tolerance 0.05 mm. " * 14


def document(lines: int = 2) -> PdfDocument:
    return PdfDocument(
        title="Quotation",
        number="QUO-2026-0001",
        seller=["Acme Tools Ltd"],
        recipient=["東京精密株式会社"],
        facts=[("Date", "2026-12-07")],
        columns=("Item", "Qty", "Amount"),
        rows=[[f"Item {index}\n{LONG_TEXT}", "1", "10.00"] for index in range(lines)],
        totals=[("Total", "10.00 USD")],
    )


@pytest.fixture(scope="module")
async def renderer():  # one worker process for the module: each start costs a Python import
    renderer = PdfRenderer(workers=1, deadline_s=120.0)
    renderer.prestart()
    yield renderer
    renderer.close()


async def test_renders_in_a_worker_process(renderer: PdfRenderer) -> None:
    data = await renderer.render(document())

    assert data.startswith(b"%PDF-")
    (worker,) = renderer._started
    assert worker.process.is_alive()


async def test_a_render_past_its_deadline_is_stopped_and_answers_503(
    renderer: PdfRenderer,
) -> None:
    await renderer.render(document())  # warm: the worker has imported what it needs
    (worker,) = renderer._started
    renderer.deadline_s = 0.5

    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as refused:
        await renderer.render(document(lines=400))

    assert time.monotonic() - started < 5
    assert refused.value.headers["Retry-After"]
    assert "0.5 s" in refused.value.message
    assert not worker.process.is_alive()  # killed: it no longer spends CPU
    renderer.deadline_s = 120.0
    assert (await renderer.render(document())).startswith(b"%PDF-")  # a new worker


async def test_the_event_loop_stays_responsive_while_a_big_document_renders(
    renderer: PdfRenderer,
) -> None:
    await renderer.render(document())
    render = asyncio.create_task(renderer.render(document(lines=30)))
    worst_lag = 0.0
    while not render.done():
        before = time.monotonic()
        await asyncio.sleep(0.01)
        worst_lag = max(worst_lag, time.monotonic() - before - 0.01)

    assert (await render).startswith(b"%PDF-")
    assert worst_lag < 0.5, worst_lag
