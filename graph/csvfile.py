"""One CSV dialect for every CSV the tool writes, made for Excel with Swedish settings.

Swedish Excel opens a CSV file by double-click correctly when it is separated by semicolons
(the comma is the Swedish decimal sign), encoded as UTF-8 *with* a byte-order mark (without
it Excel reads å, ä and ö as Windows-1252) and has CRLF line ends. Numbers are written with
a decimal comma by the callers that know a value is a number.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) would be
read by Excel as a formula ("CSV injection"): such a cell gets a leading apostrophe, which
Excel shows as text and hides. A plain number such as ``-3`` or ``-1,5`` is left as it is,
since Excel reads it as the number it is. The SPARQL endpoint's ``text/csv`` is the W3C
format instead (comma, no BOM), for SPARQL clients; this module is for people.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Iterable

__all__ = ["DELIMITER", "BOM", "safe_cell", "csv_text", "csv_bytes"]

DELIMITER = ";"
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d+([.,]\d+)?$")


def safe_cell(value) -> str:
    """A cell's text, with a leading apostrophe when Excel would read it as a formula.

    >>> safe_cell("=SUMMA(A1:A9)"), safe_cell("-1,5"), safe_cell("Psykisk ohälsa")
    ("'=SUMMA(A1:A9)", '-1,5', 'Psykisk ohälsa')
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable], *, bom: bool = True) -> str:
    """Rows (lists of cells) as CSV text in the tool's dialect; starts with a BOM unless ``bom=False``."""
    buf = io.StringIO()
    if bom:
        buf.write(BOM)
    w = csv.writer(buf, delimiter=DELIMITER, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        w.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """:func:`csv_text` encoded as UTF-8 (the BOM included)."""
    return csv_text(rows).encode("utf-8")
