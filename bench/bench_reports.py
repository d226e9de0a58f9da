"""Benchmark: the CIO evidence pack PDF for a demo school, against WeasyPrint alone in the same run.

Loads the demo trust into a temporary SQLite database, signs in as the CIO and times, best of
--repeat:

(a) WeasyPrint on a trivial one-page report (our print stylesheet, one paragraph);
(b) WeasyPrint on exactly the HTML the app sends it for the pack (the floor for the PDF);
(c) the app's whole request, GET /schools/<id>/evidence-pack.pdf: queries, indicators,
    categories, charts, template and PDF; first with empty caches (cold), then warm;
(d) the same request without the speed-ups (chart cache cleared before each run, a new font
    configuration per PDF, automatic table layout), to show what they are worth.

Speed is a ratio against (a) and (b) measured in the same process, never a timed test.

Run: python bench/bench_reports.py [--school 1] [--repeat 3]
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.demo import DEMO_DOMAIN, DEMO_PASSWORD, build_demo_trust  # noqa: E402
from app.extensions import db  # noqa: E402
from app.reports import pack_routes, packs  # noqa: E402
from config import TestConfig  # noqa: E402

TRIVIAL = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>t</title>
<style>{css}</style></head><body><h1>Report</h1><p>One paragraph.</p></body></html>"""


def page_count(pdf):
    """Pages of a PDF, read by poppler's pdfinfo (as the tests read PDFs with pdftotext)."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(re.search(rb"Pages:\s+(\d+)", info).group(1))


def best(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


@contextmanager
def without_speedups():
    """The pack as it was before: every chart drawn afresh, fonts set up per PDF, auto tables."""
    from weasyprint.text.fonts import FontConfiguration

    stylesheet = pack_routes.print_stylesheet

    def auto_tables():
        return stylesheet() + "\ntable { table-layout: auto; }"

    def fresh_fonts():
        packs._cached_trend_chart.cache_clear()
        return FontConfiguration()

    with mock.patch.object(pack_routes, "_font_config", fresh_fonts), \
            mock.patch.object(pack_routes, "print_stylesheet", auto_tables):
        yield


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", type=int, default=1, help="school id in the demo trust")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
        started = time.perf_counter()
        with app.app_context():
            upgrade()
            build_demo_trust()
            db.session.commit()
        print(f"demo trust loaded in {time.perf_counter() - started:.1f} s")

        client = app.test_client()
        client.post("/sign-in", data={"email": f"cio@{DEMO_DOMAIN}", "password": DEMO_PASSWORD})
        path = f"/schools/{args.school}/evidence-pack.pdf"
        captured = {}
        real_render = pack_routes.render_pdf

        def capture(html):
            captured["html"] = html
            return real_render(html)

        def get_pdf():
            response = client.get(path)
            assert response.status_code == 200 and response.data.startswith(b"%PDF-"), response.status
            return response.data

        packs._cached_trend_chart.cache_clear()
        with mock.patch.object(pack_routes, "render_pdf", capture):
            start = time.perf_counter()
            pdf = get_pdf()
            cold = time.perf_counter() - start
        html = captured["html"]
        pages = page_count(pdf)
        with app.app_context():
            trivial_html = TRIVIAL.format(css=pack_routes._stylesheet_text(
                str(Path(app.static_folder) / "css" / "print.css")))
        trivial = best(lambda: pack_routes.render_pdf(trivial_html), args.repeat)
        same_html = best(lambda: pack_routes.render_pdf(html), args.repeat)
        warm = best(get_pdf, args.repeat)
        with without_speedups():
            before = best(get_pdf, args.repeat)
        with app.app_context():
            db.engine.dispose()

    print(f"evidence pack of school {args.school}: {pages} pages, {len(pdf):,} bytes, "
          f"{len(html):,} characters of HTML")
    print(f"(a) WeasyPrint, trivial one-page report:        {trivial:7.3f} s")
    print(f"(b) WeasyPrint, the pack's own HTML:            {same_html:7.3f} s")
    print(f"(c) app request, cold caches:                   {cold:7.3f} s")
    print(f"(c) app request, warm (best of {args.repeat}):              {warm:7.3f} s")
    print(f"(d) app request without the speed-ups:          {before:7.3f} s")
    print(f"pack PDF / WeasyPrint on the same HTML: cold {cold / same_html:.2f}x, "
          f"warm {warm / same_html:.2f}x")
    print(f"pack PDF / trivial PDF: warm {warm / trivial:.1f}x")
    print(f"without the speed-ups / with them (warm): {before / warm:.2f}x")


if __name__ == "__main__":
    main()
