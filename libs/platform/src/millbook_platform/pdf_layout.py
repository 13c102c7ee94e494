"""How a business document (`millbook_platform.pdf.PdfDocument`) is laid out as A4 PDF
(pure: returns bytes). Only the renderer's worker process imports this module: fpdf2 and
fontTools are a fifth of a service's start-up time.

The layout is the same for every document kind: a header with the title and number, the
seller and recipient blocks, a few facts (dates, terms), a line table that wraps long text
and repeats its header on every page, right-aligned totals, notes and page numbers.

Text is set in Unicode fonts shipped in `fonts/` (see its README): Noto Sans for Latin, Greek
and Cyrillic, with fallbacks for Hebrew, Arabic, CJK (Chinese, Japanese, Korean) and emoji
(monochrome). A document loads only the fallbacks its text needs, and turns on text shaping
(HarfBuzz: Arabic joining, right-to-left order) only when it holds right-to-left text, so a
Latin document stays as fast as it was. A character no font has prints as a blank.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace
from fpdf.enums import (
    Align,
    MethodReturnValue,
    TableBordersLayout,
    TableCellFillMode,
    VAlign,
    XPos,
    YPos,
)

from millbook_platform.pdf import PdfDocument

FONTS_DIR = Path(__file__).parent / "fonts"
FONT = "sans"
MARGIN_MM = 18.0
LINE_MM = 5.0
CELL_PADDING_MM = 1.5
# A table row never breaks across pages; longer cells continue in the next row.
MAX_ROW_LINES = 12
SMALL_PT = 9
BODY_PT = 10
TITLE_PT = 20
MUTED_GREY = 110
RULE_GREY = 190
HEADER_FILL = (235, 238, 242)
STRIPE_FILL = (248, 249, 251)
NUMERIC_CELL = re.compile(r"^[\s\-+(]*[\d.,' ]+\s*%?\)?\s*[A-Z]{0,3}$")


@dataclass(frozen=True)
class FontFamily:
    """A family of font files: `styles` maps fpdf2's style ("" or "B") to a file in `fonts/`."""

    name: str
    styles: Mapping[str, str]


PRIMARY = FontFamily(FONT, {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"})
# In the order fpdf2 tries them for a character the primary font lacks; a family without a
# bold face lends its regular one to bold text.
FALLBACKS = (
    FontFamily("hebrew", {"": "NotoSansHebrew-Regular.ttf", "B": "NotoSansHebrew-Bold.ttf"}),
    FontFamily("arabic", {"": "NotoSansArabic-Regular.ttf", "B": "NotoSansArabic-Bold.ttf"}),
    FontFamily("cjk", {"": "WenQuanYiMicroHei-Common.ttf"}),
    FontFamily("hangul", {"": "WenQuanYiMicroHei-Hangul.ttf"}),
    FontFamily("cjkrare", {"": "WenQuanYiMicroHei-Rare.ttf"}),
    FontFamily("emoji", {"": "Symbola-Emoji.ttf"}),
)
RIGHT_TO_LEFT = frozenset({"R", "AL", "RLE", "RLO", "RLI"})
# Format characters that change how text is shaped or ordered; other ones are dropped.
KEPT_FORMATS = frozenset("\u00ad\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
KEPT_FORMATS |= frozenset("\u2066\u2067\u2068\u2069")
VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")


def printable(text: str) -> str:
    """`text` without the control characters a PDF cannot show (tabs become spaces)."""
    return "".join(_printable_char(char) for char in text)


def _printable_char(char: str) -> str:
    if char == "\t":
        return " "
    if char == "\n" or char in KEPT_FORMATS:
        return char
    if char in VARIATION_SELECTORS:
        return ""  # emoji print in one colour: the text/emoji presentation choice has no effect
    return "" if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"} else char


@cache
def _coverage(file: str) -> frozenset[int]:
    """The code points a font file draws (read once per process)."""
    font = TTFont(FONTS_DIR / file, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def fallbacks_for(characters: Iterable[str]) -> list[FontFamily]:
    """The fallback families the characters need: those the primary font cannot draw."""
    missing = {ord(char) for char in characters} - _coverage(PRIMARY.styles[""])
    needed = []
    for family in FALLBACKS:
        drawn = missing & _coverage(family.styles[""])
        if drawn:
            needed.append(family)
            missing -= drawn
    return needed


def needs_shaping(characters: Iterable[str]) -> bool:
    """Right-to-left text needs HarfBuzz: bidirectional order and Arabic joining."""
    return any(unicodedata.bidirectional(char) in RIGHT_TO_LEFT for char in characters)


def render_pdf(document: PdfDocument) -> bytes:
    """The document as PDF bytes."""
    characters = set("".join(printable(text) for text in document.texts()))
    pdf = _DocumentPdf(footer_text=_footer_text(document), characters=characters)
    pdf.add_page()
    _header(pdf, document)
    _parties(pdf, document)
    _facts(pdf, document.facts)
    _line_table(pdf, document.columns, document.rows)
    _totals(pdf, document.totals)
    _notes(pdf, document.notes)
    return bytes(pdf.output())


class _DocumentPdf(FPDF):
    def __init__(self, footer_text: str, characters: set[str]) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=MARGIN_MM + 4)
        self.set_creator("Millbook")
        fallbacks = fallbacks_for(characters)
        for family in (PRIMARY, *fallbacks):
            for style, file in family.styles.items():
                self.add_font(family.name, style, FONTS_DIR / file)
        if fallbacks:
            self.set_fallback_fonts([family.name for family in fallbacks], exact_match=False)
        if needs_shaping(characters):
            self.set_text_shaping(True)

    def set_font(self, family: str | None = None, style: Any = "", size: float = 0) -> None:
        super().set_font(family, style, size)
        # Text in a fallback font leaves that font selected in the page's content stream while
        # fpdf2 still believes the primary one is: choosing a font again must write it again.
        self.current_font_is_set_on_page = False

    def footer(self) -> None:
        self.set_y(-MARGIN_MM)
        self.set_font(FONT, size=SMALL_PT - 1)
        self.set_text_color(MUTED_GREY)
        self.cell(0, LINE_MM, self.footer_text, align=Align.L)
        self.set_x(self.l_margin)
        self.cell(0, LINE_MM, f"Page {self.page_no()} of {{nb}}", align=Align.R)
        self.set_text_color(0)


def _footer_text(document: PdfDocument) -> str:
    return printable(f"{document.title} {document.number or 'DRAFT'}")


def _header(pdf: FPDF, document: PdfDocument) -> None:
    pdf.set_font(FONT, style="B", size=TITLE_PT)
    pdf.cell(0, 10, printable(document.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=BODY_PT + 2)
    pdf.set_text_color(MUTED_GREY)
    pdf.cell(0, 7, printable(document.number or "DRAFT"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(4)
    _rule(pdf)


def _parties(pdf: FPDF, document: PdfDocument) -> None:
    half = pdf.epw / 2
    top = pdf.get_y() + 3
    left_bottom = _block(pdf, "From", document.seller, x=pdf.l_margin, y=top, width=half - 4)
    right_bottom = _block(
        pdf, "Bill to", document.recipient, x=pdf.l_margin + half, y=top, width=half
    )
    pdf.set_xy(pdf.l_margin, max(left_bottom, right_bottom) + 3)


def _block(
    pdf: FPDF, label: str, lines: Sequence[str], *, x: float, y: float, width: float
) -> float:
    pdf.set_xy(x, y)
    _label(pdf, label, width)
    for index, line in enumerate(lines):
        pdf.set_x(x)
        pdf.set_font(FONT, style="B" if index == 0 else "", size=BODY_PT)
        pdf.multi_cell(width, LINE_MM, printable(line), new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _label(pdf: FPDF, text: str, width: float) -> None:
    pdf.set_font(FONT, style="B", size=SMALL_PT - 1)
    pdf.set_text_color(MUTED_GREY)
    pdf.cell(width, LINE_MM, printable(text.upper()), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0)


def _facts(pdf: FPDF, facts: Sequence[tuple[str, str]]) -> None:
    if not facts:
        return
    label_width = 35.0
    for label, value in facts:
        pdf.set_font(FONT, style="B", size=SMALL_PT)
        pdf.cell(label_width, LINE_MM, printable(label))
        pdf.set_font(FONT, size=SMALL_PT)
        pdf.multi_cell(
            pdf.epw - label_width, LINE_MM, printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(4)


def _line_table(pdf: FPDF, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if not columns:
        return
    header = [printable(column) for column in columns]
    body = [[printable(cell) for cell in _fit(row, len(columns))] for row in rows]
    pdf.set_font(FONT, size=SMALL_PT)
    pdf.set_draw_color(RULE_GREY)
    widths = _column_widths(pdf, header, body)
    body = [part for row in body for part in _split_tall_row(pdf, row, widths)]
    with pdf.table(
        col_widths=widths,
        text_align=tuple(_alignments(header, body)),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        v_align=VAlign.T,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
        cell_fill_color=STRIPE_FILL,
        cell_fill_mode=TableCellFillMode.ROWS,
        line_height=LINE_MM,
        padding=CELL_PADDING_MM,
        repeat_headings=1,
        width=pdf.epw,
    ) as table:
        for cells in [header, *body]:
            table.row(cells)
    pdf.set_draw_color(0)
    pdf.ln(3)


def _split_tall_row(pdf: FPDF, row: list[str], widths: Sequence[float]) -> list[list[str]]:
    """A row whose wrapped text would not fit on one page, as several shorter rows
    (a table row never breaks across pages)."""
    scale = pdf.epw / sum(widths)
    wrapped = [
        _wrapped_lines(pdf, cell, width * scale - 2 * CELL_PADDING_MM - 1)
        for cell, width in zip(row, widths, strict=True)
    ]
    parts = max(1, *(-(-len(lines) // MAX_ROW_LINES) for lines in wrapped))
    if parts == 1:
        return [row]
    return [
        [_chunk(cell, lines, part) for cell, lines in zip(row, wrapped, strict=True)]
        for part in range(parts)
    ]


def _chunk(cell: str, lines: Sequence[str], part: int) -> str:
    """Part `part` of a split cell; a cell short enough stays whole in the first part."""
    if len(lines) <= MAX_ROW_LINES:
        return cell if part == 0 else ""
    return "\n".join(lines[part * MAX_ROW_LINES : (part + 1) * MAX_ROW_LINES])


def _wrapped_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    if not text:
        return []
    lines = pdf.multi_cell(
        max(width, 1.0), LINE_MM, text, dry_run=True, output=MethodReturnValue.LINES
    )
    assert isinstance(lines, list), "output=LINES returns the lines"
    return [str(line) for line in lines]


def _fit(row: Sequence[str], width: int) -> list[str]:
    """A row padded or cut to the header's width: a short row must not shift columns."""
    cells = list(row)[:width]
    return cells + [""] * (width - len(cells))


def _column_widths(
    pdf: FPDF, header: Sequence[str], body: Sequence[Sequence[str]]
) -> tuple[float, ...]:
    """Numeric columns get what their widest cell needs; the wide text column takes the rest."""
    padding = 4.0
    pdf.set_font(FONT, style="B", size=SMALL_PT)
    heading_widths = [pdf.get_string_width(text) for text in header]
    pdf.set_font(FONT, size=SMALL_PT)
    natural = [
        max([heading_widths[index], *(pdf.get_string_width(row[index]) for row in body)]) + padding
        for index in range(len(header))
    ]
    text_column = _text_column(header, body)
    cap = pdf.epw * 0.22
    widths = [min(width, cap) for width in natural]
    widths[text_column] = max(pdf.epw - (sum(widths) - widths[text_column]), pdf.epw * 0.3)
    return tuple(widths)


def _text_column(header: Sequence[str], body: Sequence[Sequence[str]]) -> int:
    """The column holding the most text (the description)."""
    lengths = [
        len(header[index]) + sum(len(row[index]) for row in body) for index in range(len(header))
    ]
    textual = [index for index in range(len(header)) if not _numeric_column(index, body)]
    candidates = textual or list(range(len(header)))
    return max(candidates, key=lambda index: lengths[index])


def _numeric_column(index: int, body: Sequence[Sequence[str]]) -> bool:
    values = [row[index] for row in body if row[index].strip()]
    return bool(values) and all(NUMERIC_CELL.match(value) for value in values)


def _alignments(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[Align]:
    return [Align.R if _numeric_column(index, body) else Align.L for index in range(len(header))]


def _totals(pdf: FPDF, totals: Sequence[tuple[str, str]]) -> None:
    if not totals:
        return
    label_width, value_width = 45.0, 40.0
    x = pdf.l_margin + pdf.epw - label_width - value_width
    if pdf.will_page_break(LINE_MM * (len(totals) + 1)):
        pdf.add_page()
    for index, (label, value) in enumerate(totals):
        grand = index == len(totals) - 1
        if grand:
            pdf.set_draw_color(RULE_GREY)
            pdf.line(x, pdf.get_y(), x + label_width + value_width, pdf.get_y())
            pdf.set_draw_color(0)
        pdf.set_font(FONT, style="B" if grand else "", size=BODY_PT + (1 if grand else 0))
        pdf.set_x(x)
        pdf.cell(label_width, LINE_MM + 1, printable(label), align=Align.L)
        pdf.cell(
            value_width,
            LINE_MM + 1,
            printable(value),
            align=Align.R,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(5)


def _notes(pdf: FPDF, notes: Sequence[tuple[str, str]]) -> None:
    for label, text in notes:
        if pdf.will_page_break(LINE_MM * 3):
            pdf.add_page()
        _label(pdf, label, pdf.epw)
        pdf.set_font(FONT, size=SMALL_PT)
        pdf.multi_cell(pdf.epw, LINE_MM - 0.5, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)


def _rule(pdf: FPDF) -> None:
    pdf.set_draw_color(RULE_GREY)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.set_draw_color(0)
