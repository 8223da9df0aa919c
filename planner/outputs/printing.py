"""How the sheets of plan.xlsx print: A4, orientation and scale from the column widths, a new page
for each store, the header row on every page, a header and a "Page X of Y" footer.

The smallest printed text is at least MIN_PRINTED_PT. The printed width of a column depends on the
font the printing program measures it in: Calibri (Excel; LibreOffice with Carlito, its metric twin)
or, where neither is installed, a wider stand-in such as DejaVu Sans. A sheet is fitted to the page
width only when that keeps the text legible even with the wider stand-in, because fit-to-width
shrinks the text with it. A wider sheet gets a fixed scale instead: it fits one page wide in
Calibri, and with a stand-in font its last columns move to a second page across, still legible.

`print_layout` sets this up on an XlsxWriter worksheet (plan.xlsx, the app's downloads);
`openpyxl_print_layout` on an openpyxl one (the planning template, outputs.template).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet as OpenpyxlWorksheet
from xlsxwriter.worksheet import Worksheet

from planner.outputs.files import clean_text


@dataclass(frozen=True)
class Margins:
    """Page margins, inches."""

    left: float
    right: float
    top: float
    bottom: float
    header: float
    footer: float


A4_PT = (595.28, 841.89)  # width, height of A4 portrait, points
MARGINS = Margins(left=0.25, right=0.25, top=0.75, bottom=0.75, header=0.3, footer=0.3)  # Excel's "Narrow"
WIDTH_UNIT_PT = 5.6  # one unit of column width printed at 100 %, in Calibri 11 (Excel 5.25, LibreOffice with Carlito 5.58)
WIDE_FONT_UNIT_PT = 7.3  # the same where LibreOffice has no Calibri or Carlito and measures in DejaVu Sans (measured)
DEFAULT_WIDTH = 8.43  # a column without a set width, units
A4_PAPER = 9  # the paper size code of A4 in a workbook
BODY_PT = 11.0  # the smallest font on the sheets (Calibri 11: cells, header row, notes)
MIN_PRINTED_PT = 8.0
SCALE_MARGIN_PT = 0.1  # LibreOffice prints a whole-percent scale a little smaller than the percent says
TARGET_PT = 8.4  # a wide sheet's text columns are narrowed (they wrap) until its text prints this large
HEADER_LEFT = "&A"  # the sheet name
FOOTER = "Page &P of &N"
HEADER_CHARACTERS = 200  # Excel allows 255 characters for the whole header, codes included


@dataclass(frozen=True)
class PageFit:
    """How a sheet prints: orientation, and fit to one page wide or a fixed scale."""

    landscape: bool
    fit_to_width: bool
    scale: float  # printed size / size on screen in Calibri (1.0 = 100 %)


def printable_width(landscape: bool) -> float:
    """Width inside the side margins of an A4 page, points."""
    return (A4_PT[1] if landscape else A4_PT[0]) - 72 * (MARGINS.left + MARGINS.right)


def fit_widths(widths: Sequence[float], floors: Sequence[float | None], font_pt: float = BODY_PT) -> list[float]:
    """`widths` with the columns that may wrap (a floor, not None) narrowed, each in proportion to
    what it can give above its floor, until the sheet fits a landscape page with its text at
    TARGET_PT; never below a floor, whole characters."""
    room = printable_width(landscape=True) / (WIDTH_UNIT_PT * TARGET_PT / font_pt)
    slack = sum(w - f for w, f in zip(widths, floors, strict=True) if f is not None and w > f)
    excess = sum(widths) - room
    if excess <= 0 or slack <= 0:
        return list(widths)
    cut = min(1.0, excess / slack)
    return [w if f is None or w <= f else max(f, math.floor(w - (w - f) * cut)) for w, f in zip(widths, floors, strict=True)]


def page_fit(widths: Sequence[float], font_pt: float = BODY_PT) -> PageFit:
    """Portrait when the sheet fits a portrait page at 100 %, else landscape; fitted to the page
    width when that keeps `font_pt` text >= MIN_PRINTED_PT even in the wider stand-in font, else
    the largest whole-percent scale (down to the legible minimum) that fits one page wide in Calibri."""
    total = sum(widths)
    landscape = total * WIDTH_UNIT_PT > printable_width(landscape=False)
    page = printable_width(landscape)
    if font_pt * min(1.0, page / (total * WIDE_FONT_UNIT_PT)) >= MIN_PRINTED_PT + SCALE_MARGIN_PT:
        return PageFit(landscape, fit_to_width=True, scale=min(1.0, page / (total * WIDTH_UNIT_PT)))
    legible = math.ceil(100 * (MIN_PRINTED_PT + SCALE_MARGIN_PT) / font_pt)
    fitting = math.floor(100 * page / (total * WIDTH_UNIT_PT))
    return PageFit(landscape, fit_to_width=False, scale=max(legible, min(100, fitting)) / 100)


def print_layout(sheet: Worksheet, widths: Sequence[float], *, header_row: int | None, header: str = "",
                 store_rows: Sequence[int] = ()) -> PageFit:
    """Lay the XlsxWriter `sheet` out for A4 (see the module text) from its column `widths` (characters).

    Rows count from 0, as in XlsxWriter. `header_row` (if any) repeats on every page; `header` is the
    centre of the page header (the sheet name is on its left); each row in `store_rows` (the first row
    of a store) starts a new page, and column A (the store) repeats on pages that continue a store's
    rows to the right."""
    fit = page_fit(widths)
    sheet.set_paper(A4_PAPER)
    if fit.landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.print_across()  # a store's pages stay together when its columns need two pages across
    if fit.fit_to_width:
        sheet.fit_to_pages(1, 0)
    else:
        sheet.set_print_scale(round(100 * fit.scale))
    sheet.set_margins(left=MARGINS.left, right=MARGINS.right, top=MARGINS.top, bottom=MARGINS.bottom)
    if header_row is not None:
        sheet.repeat_rows(header_row)
    if store_rows:
        sheet.repeat_columns(0)
        sheet.set_h_pagebreaks(list(store_rows))  # a break above each row: the store starts the next page
    # header and footer print at their own size, not shrunk with the sheet
    sheet.set_header(f"&L{HEADER_LEFT}&C{header_text(header)}", {"margin": MARGINS.header, "scale_with_doc": False})
    sheet.set_footer(f"&C{FOOTER}", {"margin": MARGINS.footer, "scale_with_doc": False})
    return fit


def openpyxl_print_layout(sheet: OpenpyxlWorksheet, *, header_row: int) -> PageFit:
    """The same layout, without a centre header or store breaks, for a sheet built with openpyxl
    (the planning template) from the column widths it has now; `header_row` counts from 1 there."""
    widths = [sheet.column_dimensions[get_column_letter(col)].width or DEFAULT_WIDTH for col in range(1, sheet.max_column + 1)]
    fit = page_fit(widths)
    setup = sheet.page_setup
    setup.paperSize = A4_PAPER
    setup.orientation = "landscape" if fit.landscape else "portrait"
    setup.pageOrder = "overThenDown"
    sheet.sheet_properties.pageSetUpPr.fitToPage = fit.fit_to_width
    if fit.fit_to_width:
        setup.fitToWidth, setup.fitToHeight = 1, 0
    else:
        setup.scale = round(100 * fit.scale)
    sheet.page_margins = PageMargins(left=MARGINS.left, right=MARGINS.right, top=MARGINS.top, bottom=MARGINS.bottom,
                                     header=MARGINS.header, footer=MARGINS.footer)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.oddHeader.left.text = HEADER_LEFT
    sheet.oddFooter.center.text = FOOTER
    sheet.HeaderFooter.scaleWithDoc = False
    return fit


def header_text(text: str) -> str:
    """`text` for a page header: one line, & doubled (a single & starts a header code), cut so that it
    takes at most HEADER_CHARACTERS (a doubled & and a character beyond UTF-16's first plane count two)."""
    line = " ".join(clean_text(text).split())
    lengths = list(accumulate(2 if c == "&" or ord(c) > 0xFFFF else 1 for c in line))
    if lengths and lengths[-1] > HEADER_CHARACTERS:
        line = line[: bisect_right(lengths, HEADER_CHARACTERS - 3)] + "..."
    return line.replace("&", "&&")
