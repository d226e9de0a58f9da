"""English and Welsh for the respondent pages: which language a request is in, and the switcher."""

from urllib.parse import urlencode

from flask import request, session
from flask_babel import get_locale

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
# The pages parents, staff and pupils answer on; staff pages stay in English for now.
RESPONDENT_ENDPOINTS = {
    "surveys.respond", "surveys.thank_you", "surveys.already_answered",
    "surveys.respond_invitation", "surveys.autosave", "surveys.autosave_invitation",
    "surveys.join", "surveys.answer_in_class",
}


def configure_i18n(app):
    app.before_request(_remember_choice)
    app.context_processor(_switcher)


def chosen_language():
    """?lang= (then remembered in the session), else what this browser chose before."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = session.get("lang")
    return remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE


def select_locale():
    """Flask-Babel's locale: the chosen language on respondent pages (and the page-not-found
    page of a mistyped address); staff pages, whose words are not translated yet, in English."""
    if not request:
        return DEFAULT_LANGUAGE
    if request.endpoint in RESPONDENT_ENDPOINTS or request.endpoint is None:
        return chosen_language()
    return DEFAULT_LANGUAGE


def _remember_choice():
    asked = request.args.get("lang")
    if asked in LANGUAGES and session.get("lang") != asked:
        session["lang"] = asked


def _switcher():
    """Links to this page in each other language, for the English | Cymraeg switcher."""
    current = str(get_locale() or DEFAULT_LANGUAGE)
    if not request or request.endpoint not in RESPONDENT_ENDPOINTS:
        return {"language": current}
    links = []
    for code, name in LANGUAGES.items():
        args = {**request.args.to_dict(), "lang": code}
        url = f"{request.path}?{urlencode(args)}"
        links.append({"code": code, "name": name, "url": url, "current": code == current})
    return {"language": current, "language_links": links}

