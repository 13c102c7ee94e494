import io
import re

import pytest
from pypdf import PdfReader

from millbook_platform.pdf import PdfDocument
from millbook_platform.pdf_layout import fallbacks_for, needs_shaping, printable, render_pdf
from millbook_testing.pdf_text import pdftotext

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


NAMES = {
    "hebrew": "שרה כהן בע״מ",
    "arabic": "شركة النور للتجارة",
    "chinese": "北京精密机械有限公司",
    "japanese": "すずき タロウ 東京",
    "korean": "김민준 상사",
    "greek": "Αθηνά Παπαδοπούλου",
    "cyrillic": "Иван Петров",
}


def words_of(text: str) -> set[str]:
    """The words of extracted text, without the bidi marks pdftotext puts around RTL runs."""
    return set(re.sub("[\u202a-\u202e\u2066-\u2069]", " ", text).split())


@pytest.mark.parametrize("script", sorted(NAMES))
def test_a_name_in_any_script_comes_back_from_the_pdf_in_logical_order(script: str) -> None:
    name = NAMES[script]
    data = render_pdf(quotation(recipient=[name], rows=[[name, "1", "1.00", "0%", "0%", "1.00"]]))

    # pdftotext gives right-to-left runs back in logical (reading) order, whole.
    text = pdftotext(data)
    assert text.count(name) == 2, text
    assert "?" not in text
    # pypdf gives each word back; right-to-left words may come in visual order.
    assert set(name.split()) <= words_of("\n".join(pages_text(data)))


def test_emoji_print_as_monochrome_glyphs_and_stay_in_the_text() -> None:
    data = render_pdf(quotation(recipient=["Rocket \U0001f680\ufe0f Ltd"]))

    assert "Rocket \U0001f680 Ltd" in pdftotext(data)


def embedded_fonts(data: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return fonts


def test_a_latin_document_embeds_only_the_latin_font() -> None:
    assert embedded_fonts(render_pdf(quotation())) == {"NotoSans", "NotoSansBold"}


def test_fallback_fonts_are_chosen_by_the_characters_a_document_holds() -> None:
    families = [family.name for family in fallbacks_for("Zoë 東京 김 שלום \U0001f680")]

    assert families == ["hebrew", "cjk", "hangul", "emoji"]
    assert fallbacks_for("Zoë Ñandú Łódź € Ελλάδα Москва") == []


def test_only_right_to_left_text_turns_shaping_on() -> None:
    assert needs_shaping("שלום")
    assert needs_shaping("مرحبا")
    assert not needs_shaping("東京 Zoë Москва")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë Ñandú", "Zoë Ñandú"),
        ("東京", "東京"),
        ("a\u200bb", "ab"),
        ("tab\there", "tab here"),
        ("bell\x07", "bell"),
        ("\u2764\ufe0f", "\u2764"),
        ("\u200f\u05e9\u05dc\u05d5\u05dd", "\u200f\u05e9\u05dc\u05d5\u05dd"),
    ],
)
def test_printable_keeps_every_script_and_drops_control_characters(raw: str, expected: str) -> None:
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
