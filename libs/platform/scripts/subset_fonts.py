"""Rebuild the fonts PDFs embed (`millbook_platform/fonts/`) from Debian's font packages.

Run once by a maintainer, never at install time: `python libs/platform/scripts/subset_fonts.py`
(as root on Debian 12, which has `apt-get download` and `dpkg-deb`). Each font is cut to the
scripts a business document needs and stripped of hinting, so the repository carries a few MB
instead of the hundreds the packages install. The CJK face is split by how often characters
occur, so a document loads only the part it uses (fpdf2 parses every glyph of a font it loads).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

OUT = Path(__file__).resolve().parents[1] / "src" / "millbook_platform" / "fonts"
PACKAGES = {
    "fonts-noto-core": "20201225-1",
    "fonts-wqy-microhei": "0.2.0-beta-3.1",
    "fonts-symbola": "2.60-1.1",
}


def span(first: int, last: int) -> set[int]:
    return set(range(first, last + 1))


LATIN_GREEK_CYRILLIC = (
    span(0x20, 0x24F)  # Basic Latin to Latin Extended-B
    | span(0x2B0, 0x36F)  # modifier letters, combining diacritics
    | span(0x370, 0x3FF)  # Greek
    | span(0x400, 0x52F)  # Cyrillic and its supplement
    | span(0x1E00, 0x1EFF)  # Latin Extended Additional (Vietnamese)
    | span(0x2000, 0x20CF)  # punctuation, super- and subscripts, currency signs
    | span(0x2100, 0x218F)  # letterlike symbols, number forms
    | {0x2212, 0x2022, 0x25CF, 0xFB01, 0xFB02, 0xFFFD}
)
HEBREW = span(0x20, 0x40) | span(0x590, 0x5FF) | span(0xFB1D, 0xFB4F) | {0x200C, 0x200D}
ARABIC = (
    span(0x20, 0x40)
    | span(0x600, 0x6FF)
    | span(0x750, 0x77F)
    | span(0x8A0, 0x8FF)
    | span(0xFB50, 0xFDFF)
    | span(0xFE70, 0xFEFF)
    | {0x200C, 0x200D}
)
CJK_MARKS = (
    span(0x3000, 0x30FF)  # CJK punctuation, hiragana, katakana
    | span(0x3100, 0x312F)  # bopomofo
    | span(0x31F0, 0x31FF)  # katakana extensions
    | span(0xFF00, 0xFFEF)  # half- and full-width forms
)
HAN = span(0x4E00, 0x9FFF)
HANGUL = span(0x1100, 0x11FF) | span(0x3130, 0x318F) | span(0xAC00, 0xD7A3)
EMOJI = (
    span(0x2300, 0x23FF)
    | span(0x2460, 0x24FF)
    | span(0x25A0, 0x27BF)
    | span(0x2B00, 0x2BFF)
    | span(0x1F000, 0x1FAFF)
)


def frequent_han() -> set[int]:
    """The first level of GB 2312, JIS X 0208 and Big5 (the common hanzi and kanji) and KS X
    1001's hanja: what names and addresses use almost always."""
    found: set[int] = set()
    for codec, leads, trails in (
        ("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),
        ("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF)),
        ("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]),
        ("euc_kr", range(0xCA, 0xFE), range(0xA1, 0xFF)),
    ):
        for lead in leads:
            for trail in trails:
                try:
                    text = bytes([lead, trail]).decode(codec)
                except UnicodeDecodeError:
                    continue
                found.update(ord(char) for char in text if ord(char) in HAN)
    return found


def cut(source: Path, target: str, unicodes: set[int], index: int = 0) -> None:
    font = TTFont(source, fontNumber=index)
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["vhea", "vmtx", "FFTM", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    font.save(OUT / target)
    print(f"{target}: {(OUT / target).stat().st_size / 1e6:.2f} MB")


def fetch(folder: Path) -> Path:
    for package, version in PACKAGES.items():
        command = ["apt-get", "download", f"{package}={version}"]
        subprocess.run(command, cwd=folder, check=True)  # noqa: S603
    root = folder / "root"
    for deb in folder.glob("*.deb"):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)  # noqa: S603, S607
    return root / "usr" / "share" / "fonts" / "truetype"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        fonts = fetch(Path(scratch))
        noto = fonts / "noto"
        for weight in ("Regular", "Bold"):
            cut(noto / f"NotoSans-{weight}.ttf", f"NotoSans-{weight}.ttf", LATIN_GREEK_CYRILLIC)
            cut(noto / f"NotoSansHebrew-{weight}.ttf", f"NotoSansHebrew-{weight}.ttf", HEBREW)
            cut(noto / f"NotoSansArabic-{weight}.ttf", f"NotoSansArabic-{weight}.ttf", ARABIC)
        wqy = fonts / "wqy" / "wqy-microhei.ttc"
        frequent = frequent_han()
        cut(wqy, "WenQuanYiMicroHei-Common.ttf", CJK_MARKS | frequent)
        cut(wqy, "WenQuanYiMicroHei-Rare.ttf", HAN - frequent)
        cut(wqy, "WenQuanYiMicroHei-Hangul.ttf", HANGUL)
        cut(fonts / "ancient-scripts" / "Symbola_hint.ttf", "Symbola-Emoji.ttf", EMOJI)


if __name__ == "__main__":
    main()
