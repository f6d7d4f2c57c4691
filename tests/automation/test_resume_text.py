"""Reading résumés: text from PDFs (made with reportlab) and DOCX files (made with python-docx)
generated here, the contact details found in typical résumé text, and a clear ResumeReadError
for every file that cannot be read."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from automation.resume_text import Contacts, ResumeReadError, extract_text, find_contacts, split_name
from tests.support.documents import make_pdf


def make_docx(header: str, paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = header
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table):
            for cell, value in zip(row.cells, values):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ADA = [
    "ADA LOVELACE",
    "Senior Software Engineer | London, UK",
    "ada@example.org | +44 20 7946 0000 | linkedin.com/in/ada-lovelace",
    "github.com/ada   https://ada.dev",
    "Experience",
    "2015 - 2019  Analytical Engine, Babbage & Co.",
]


def test_pdf_text_and_contacts():
    text = extract_text("Ada.PDF", make_pdf(ADA, link="https://www.linkedin.com/in/ada-lovelace"))
    assert "Analytical Engine, Babbage & Co." in text
    assert "https://www.linkedin.com/in/ada-lovelace" in text  # the address behind a clickable link
    assert find_contacts(text) == Contacts(
        name="Ada Lovelace",  # capitals are turned into a name
        email="ada@example.org",
        phone="+44 20 7946 0000",
        links={
            "linkedin": "https://linkedin.com/in/ada-lovelace",
            "github": "https://github.com/ada",
            "website": "https://ada.dev",
        },
    )


def test_docx_text_from_header_body_and_tables():
    content = make_docx(
        "Grace Hopper",
        ["Rear Admiral, US Navy", "grace.hopper@navy.example · (555) 123-4567", "https://github.com/grace"],
        table=[["COBOL", "1959"], ["Harvard Mark I", "1944"]],
    )
    text = extract_text("grace.docx", content)
    assert text.splitlines()[0] == "Grace Hopper"
    assert "Harvard Mark I" in text
    contacts = find_contacts(text)
    assert contacts.name == "Grace Hopper"
    assert contacts.email == "grace.hopper@navy.example"
    assert contacts.phone == "(555) 123-4567"
    assert contacts.links == {"github": "https://github.com/grace"}


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("cv.pdf", make_pdf(["Ada Lovelace"], password="s3cret"), "password-protected"),
        ("cv.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ngarbage", "damaged"),
        ("cv.pdf", b"MZ\x90\x00\x03\x00\x00\x00 this is a program", "not a valid PDF"),
        ("cv.pdf", b"", "empty"),
        ("cv.pdf", make_pdf([]), "no text"),
        ("cv.exe", b"MZ\x90\x00", "PDF and DOCX"),
        ("cv.doc", b"\xd0\xcf\x11\xe0 old word", "PDF and DOCX"),
        ("cv.docx", b"PK\x03\x04 not really a zip", "not a valid DOCX"),
        ("cv.docx", make_docx("", []), "no text"),
    ],
    ids=["encrypted", "corrupt-pdf", "exe-named-pdf", "empty", "blank-pdf", "exe", "doc", "corrupt-docx", "blank-docx"],
)
def test_unreadable_files_say_why(filename, content, message):
    with pytest.raises(ResumeReadError, match=message):
        extract_text(filename, content)


def test_a_zip_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("hello.txt", "hi")
    with pytest.raises(ResumeReadError, match="not a Word document"):
        extract_text("cv.docx", buffer.getvalue())


def test_name_is_the_first_line_that_looks_like_one():
    text = "Curriculum Vitae\nSenior Backend Engineer\nLudwig van Beethoven — Composer\nludwig@example.org"
    assert find_contacts(text).name == "Ludwig van Beethoven"
    assert find_contacts("ada@example.org\n42 Main Street\n").name is None


def test_dates_and_year_ranges_are_not_phone_numbers():
    text = "Ada Lovelace\n2015 - 2019 Engineer\nBorn 10.12.1815\nPhone: 020 7946 0000"
    assert find_contacts(text).phone == "020 7946 0000"
    assert find_contacts("2015 - 2019 Engineer\n12/03/2020").phone is None


def test_nothing_found_is_none():
    assert find_contacts("just some words about engines") == Contacts()


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Ada Lovelace", ("Ada", "Lovelace")),
        ("Mary Ann Evans", ("Mary Ann", "Evans")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("Ada", None),
    ],
)
def test_split_name(full, parts):
    assert split_name(full) == parts
