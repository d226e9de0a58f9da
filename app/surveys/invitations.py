"""Invitation downloads: a CSV of links and printable letters, each with its own QR code."""

import csv
import io

import segno


def links_csv(link, urls):
    """One row per invitation; every field quoted. Nothing here is typed by a user but the name."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(["Invitation", "School", "Link"])
    school = link.school.name
    if school[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        school = "'" + school  # never a formula in Excel
    for number, url in enumerate(urls, start=1):
        writer.writerow([number, school, url])
    return out.getvalue().encode("utf-8-sig")  # BOM so Excel reads UTF-8 names


def letters(urls):
    """[{number, url, qr}] where qr is an SVG data URI of the link."""
    return [
        {"number": number, "url": url,
         "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=2)}
        for number, url in enumerate(urls, start=1)
    ]


def pdf(html):
    """Render the letters page to PDF with WeasyPrint (imported here: it is slow to load)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def qr_svg(url, title, scale=6):
    """A standalone SVG (with its namespace, so it works in <img>) of a QR code for url."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, title=title, xmldecl=False)
    return out.getvalue()
