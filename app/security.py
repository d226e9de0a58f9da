"""Security headers, a per-request CSP nonce and the idle timeout for signed-in sessions."""

import secrets
import time

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.datastructures import ImmutableMultiDict

# One inline script exists (GOV.UK's `js-enabled` line in template.html); it carries this nonce.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Respondent links carry their school's code: never send it to another site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def configure_security(app):
    app.config.setdefault("SESSION_IDLE_MINUTES", 30)
    app.before_request(_drop_nul_characters)
    app.before_request(_make_nonce)
    app.before_request(_end_idle_session)
    app.before_request(_refuse_json_a_form_cannot_read)
    app.after_request(_add_headers)
    app.context_processor(lambda: {"cspNonce": g.get("csp_nonce")})


def _drop_nul_characters():
    """Take NUL characters out of every query and form value (and name) before a view sees them.

    Nobody types one, and PostgreSQL cannot store one in text: left in, a sign-in or a saved
    answer carrying one failed in the database with a 500 instead of a plain answer.
    """
    for name in ("args", "form"):
        values = getattr(request, name)
        if any("\x00" in key or any("\x00" in value for value in listed)
               for key, listed in values.lists()):
            setattr(request, name, ImmutableMultiDict(
                [(key.replace("\x00", ""), value.replace("\x00", ""))
                 for key, listed in values.lists() for value in listed]))


def _make_nonce():
    g.csp_nonce = secrets.token_urlsafe(16)


def _end_idle_session():
    """Sign out whoever has been idle too long, and say why, so nobody wonders what happened."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    now = time.time()
    seen = session.get("seen")
    session["seen"] = now
    if seen is not None and now - seen <= limit:
        return None
    logout_user()
    session.pop("seen", None)
    minutes = current_app.config["SESSION_IDLE_MINUTES"]
    flash(f"You were signed out because you had not used Stakeholder Voice for {minutes} "
          "minutes. Sign in again to carry on.", "info")
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.sign_in", next=next_url))


def json_view(view):
    """Mark a view that reads JSON bodies itself; others take forms (see below)."""
    view.accepts_json = True
    return view


def _refuse_json_a_form_cannot_read():
    """Form views read a JSON body as form data; anything but a flat object would break them."""
    if not request.is_json or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "accepts_json", False):
        return None
    body = request.get_json(silent=True)
    flat = isinstance(body, dict) and all(
        isinstance(value, (str, int, float, bool, type(None)))
        or (isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value))
        for value in body.values()
    )
    if flat:
        return None
    return jsonify(error="Send the form's fields as a JSON object of names and values."), 400


def mark_active():
    """Start the idle clock at sign-in."""
    session["seen"] = time.time()


def framed_by_this_site(view):
    """Mark a view this site shows inside its own pages (the phone-sized preview)."""
    view.framed_by_this_site = True
    return view


def _add_headers(response):
    nonce = g.get("csp_nonce", "")
    csp = CSP.format(nonce=nonce)
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "framed_by_this_site", False):
        csp = csp.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Content-Security-Policy", csp)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if current_user.is_authenticated:
        # Results of a signed-in user stay off shared school computers' disk caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
