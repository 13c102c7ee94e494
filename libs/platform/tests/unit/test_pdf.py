import io

import pytest
from pypdf import PdfReader

from millbook_platform.pdf import PdfDocument, printable, render_pdf

COLUMNS = ("Description", "Qty", "Unit price", "Discount", "Tax", "Amount")


def quotation(rows: list[list[str]] | None = None, **overrides: object) -> PdfDocument:
    fields: dict[str, object] = {
        "title": "Quotation",
        "number": "QUO-2026-0001",
        "seller": ["Acme Tools Ltd", "1 Forge Street", "Sheffield S1 2AB", "VAT GB123456789"],
        "recipient": ["Globex Corporation", "500 Market St", "San Francisco, CA 94105"],
        "facts": [
            ("Date", "2026-11-24"),
            ("Valid until", "2026-12-24"),
            ("Payment terms", "Net 30"),
        ],
        "columns": COLUMNS,
        "rows": rows
        if rows is not None
        else [
            ["Consulting hours", "10", "150.00", "0%", "10%", "1,650.00"],
            ["Annual support plan", "1", "1,200.00", "5%", "10%", "1,254.00"],
        ],
        "totals": [("Subtotal", "2,700.00 USD"), ("Tax", "264.00 USD"), ("Total", "2,904.00 USD")],
        "notes": [("Terms", "Payment within 30 days."), ("Notes", "Thank you for your business.")],
    }
    fields.update(overrides)
    return PdfDocument(**fields)  # type: ignore[arg-type]


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_renders_a_pdf_whose_text_names_the_document_rows_and_totals() -> None:
    data = render_pdf(quotation())

    assert data.startswith(b"%PDF-")
    text = "\n".join(pages_text(data))
    for expected in (
        "Quotation",
        "QUO-2026-0001",
        "Acme Tools Ltd",
        "Globex Corporation",
        "San Francisco, CA 94105",
        "Valid until",
        "2026-12-24",
        "Consulting hours",
        "Annual support plan",
        "1,254.00",
        "Subtotal",
        "2,904.00 USD",
        "Payment within 30 days.",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_a_draft_without_a_number_prints_draft() -> None:
    text = "\n".join(pages_text(render_pdf(quotation(number=None))))

    assert "DRAFT" in text
    assert "QUO-" not in text


def test_two_hundred_lines_break_across_pages_with_the_header_repeated() -> None:
    rows = [[f"Item number {i:03d}", "1", "10.00", "0%", "0%", "10.00"] for i in range(200)]

    pages = pages_text(render_pdf(quotation(rows=rows)))

    assert len(pages) > 3
    assert all("Description" in page and "Unit price" in page for page in pages[:-1])
    joined = "\n".join(pages)
    assert all(f"Item number {i:03d}" in joined for i in range(200))
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert "2,904.00 USD" in pages[-1]


def test_long_descriptions_wrap_instead_of_overflowing() -> None:
    long_text = " ".join(["Custom integration work for the warehouse system"] * 8)
    short = pages_text(render_pdf(quotation(rows=[["Short", "1", "1.00", "0%", "0%", "1.00"]])))
    wrapped = pages_text(render_pdf(quotation(rows=[[long_text, "1", "1.00", "0%", "0%", "1.00"]])))

    wrapped_lines = [line for line in wrapped[0].splitlines() if "warehouse" in line]
    assert len(wrapped_lines) >= 3
    assert len(wrapped[0].splitlines()) > len(short[0].splitlines())


def test_text_outside_latin_1_never_crashes_and_keeps_what_it_can() -> None:
    document = quotation(
        recipient=["Zoë Ñandú", "東京都千代田区", "Łódź \u2013 \u201cCentrum\u201d"],
        rows=[["Café crème \u2013 東京 edition €", "1", "5.00", "0%", "0%", "5.00"]],
    )

    text = "\n".join(pages_text(render_pdf(document)))

    assert "Zoë Ñandú" in text
    assert "Lódz" in text
    assert "Café crème" in text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë Ñandú", "Zoë Ñandú"),
        ("東京", "??"),
        ("Łódź", "Lódz"),
        ("Œuvre — “quoted” €5", "Œuvre — “quoted” €5"),
        ("a\u200bb", "ab"),
        ("x\u2212y", "x-y"),
    ],
)
def test_printable_keeps_windows_1252_and_transliterates_the_rest(raw: str, expected: str) -> None:
    assert printable(raw) == expected


def test_empty_table_totals_and_notes_still_render() -> None:
    data = render_pdf(quotation(rows=[], totals=[], notes=[], facts=[]))

    assert "Quotation" in pages_text(data)[0]


def test_short_rows_are_padded_to_the_header() -> None:
    text = pages_text(render_pdf(quotation(rows=[["Only a description"]])))[0]

    assert "Only a description" in text


def test_an_unbreakable_long_word_does_not_crash() -> None:
    data = render_pdf(quotation(rows=[["X" * 400, "1", "1.00", "0%", "0%", "1.00"]]))

    assert "XXXXXXXX" in pages_text(data)[0]


def test_a_description_taller_than_a_page_continues_on_the_next() -> None:
    words = " ".join(f"word{i:04d}" for i in range(2500))

    pages = pages_text(render_pdf(quotation(rows=[[words, "1", "1.00", "0%", "0%", "1.00"]])))

    assert len(pages) > 2
    joined = "\n".join(pages)
    assert all(f"word{i:04d}" in joined for i in (0, 1, 1250, 2499))
    assert all("Description" in page for page in pages[:-1])
