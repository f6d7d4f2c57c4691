"""Documents made for a test: a PDF résumé written with reportlab (optionally with a link, or locked)."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def make_pdf(lines: list[str], *, link: str | None = None, password: str | None = None) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for line in lines:
        page.drawString(72, y, line)
        y -= 16
    if link:
        page.linkURL(link, (72, 600, 200, 616))
    page.showPage()
    page.save()
    content = buffer.getvalue()
    if password:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
        writer.encrypt(password, algorithm="RC4-128")
        locked = io.BytesIO()
        writer.write(locked)
        content = locked.getvalue()
    return content
