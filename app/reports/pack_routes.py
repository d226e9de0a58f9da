"""Report pages and their PDFs: evidence pack, SGC overview, wellbeing pack, parents' summary."""

import functools
import os
import threading

from flask import Response as HttpResponse
from flask import abort, current_app, render_template, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup

from app import clock
from app.auth.scope import public, role_required, school_or_404, signed_in, visible_schools
from app.extensions import get_by_id
from app.models import School
from app.models.audit import record
from app.reports import bp, packs
from app.services import commit

PACKS = {
    # name: (title, builder, roles)
    "evidence-pack": ("CIO evidence pack", packs.evidence_pack, ("trust_admin", "cio", "head")),
    "sgc-overview": ("Termly SGC overview", packs.sgc_overview,
                     ("trust_admin", "cio", "head", "governor")),
    "wellbeing-pack": ("Wellbeing committee pack", packs.wellbeing_pack,
                       ("trust_admin", "cio", "head", "wellbeing")),
    "parents-summary": ("You said, we did", packs.parents_summary,
                        ("trust_admin", "cio", "head", "governor")),
}
ANY_PACK_ROLES = ("trust_admin", "cio", "head", "governor", "wellbeing")
PARENT_LINK_PURPOSE = "parents-summary"


@bp.route("/reports")
@role_required(*ANY_PACK_ROLES)
def report_list():
    schools = visible_schools(current_user, *ANY_PACK_ROLES)
    allowed = {name: set(s.id for s in visible_schools(current_user, *roles))
               for name, (_, _, roles) in PACKS.items()}
    return render_template("packs/list.html", schools=schools, packs=PACKS, allowed=allowed,
                           parent_link=parent_link)


@bp.route("/schools/<int:school_id>/<any('evidence-pack','sgc-overview','wellbeing-pack','parents-summary'):name>")
@signed_in
def show_pack(school_id, name):
    return _pack(school_id, name, pdf=False)


@bp.route("/schools/<int:school_id>/<any('evidence-pack','sgc-overview','wellbeing-pack','parents-summary'):name>.pdf")
@signed_in
def pack_pdf(school_id, name):
    return _pack(school_id, name, pdf=True)


@bp.route("/you-said-we-did/<token>")
@public
def public_parents_summary(token):
    """The parents' summary for anyone with the school's link: aggregate, suppressed results only."""
    school = _school_of_token(token)
    data = packs.parents_summary(school, clock.today())
    return render_template("packs/parents_public.html", pdf=False, title="You said, we did",
                           public_token=token, **data)


@bp.route("/you-said-we-did/<token>.pdf")
@public
def public_parents_summary_pdf(token):
    school = _school_of_token(token)
    data = packs.parents_summary(school, clock.today())
    html = render_template("packs/pdf.html", body="packs/_parents-summary.html", pdf=True,
                           title="You said, we did", stylesheet=print_stylesheet(), **data)
    return _pdf_response(html, f"you-said-we-did-{school.urn}.pdf")


def parent_link(school):
    return url_for("reports.public_parents_summary", token=_serializer().dumps(school.id),
                   _external=True)


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=PARENT_LINK_PURPOSE)


def _school_of_token(token):
    try:
        school_id = _serializer().loads(token)
    except BadSignature:
        abort(404)
    school = get_by_id(School, school_id)
    if school is None:
        abort(404)
    return school


def _pack(school_id, name, pdf):
    title, builder, roles = PACKS[name]
    if not current_user.has_role(*roles):
        abort(404)
    school = school_or_404(current_user, school_id, *roles)
    today = clock.today()
    data = builder(school, today)
    if not pdf:
        return render_template("packs/screen.html", body=f"packs/_{name}.html", name=name,
                               title=title, pdf=False,
                               parent_link=parent_link(school) if name == "parents-summary" else None,
                               **data)
    html = render_template("packs/pdf.html", body=f"packs/_{name}.html", title=title, pdf=True,
                           stylesheet=print_stylesheet(), **data)
    record("export_pdf", user=current_user, school=school, report=name)
    commit()
    return _pdf_response(html, f"{name}-{school.urn}-{today.isoformat()}.pdf")


def _pdf_response(html, filename):
    return HttpResponse(render_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


def render_pdf(html):
    """PDF bytes of a report's HTML (WeasyPrint; imported here as only PDFs need Pango)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The stylesheet is inlined and charts are data: URIs, so nothing is ever fetched.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf(
        font_config=_font_config())


_fonts = threading.local()


def _font_config():
    """One font configuration per thread (Pango's font map is not shared across threads), so
    fonts are looked up once rather than for every PDF."""
    if not hasattr(_fonts, "config"):
        from weasyprint.text.fonts import FontConfiguration

        _fonts.config = FontConfiguration()
    return _fonts.config


@functools.cache
def _stylesheet_text(path):
    with open(path) as handle:
        return handle.read()


def print_stylesheet():
    """Our own print stylesheet, inlined into the PDF (trusted: it is a file in the app)."""
    return Markup(_stylesheet_text(os.path.join(current_app.static_folder, "css", "print.css")))
