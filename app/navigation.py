"""Which main navigation tab a page belongs to, so exactly one tab is ever highlighted."""

__all__ = ["nav_section", "SECTIONS"]

# The tabs of base.html, in order.
SECTIONS = ("results", "wellbeing", "surveys", "instruments", "class_sessions", "categories",
            "schedule", "reports", "safeguarding", "word_lists", "rates", "invitations")

# Pages that live in one blueprint but belong to another tab.
PAGES = {
    "reports.report_list": "reports", "reports.show_pack": "reports", "reports.pack_pdf": "reports",
    "reports.list_actions": "reports", "reports.edit_action": "reports",
    "reports.export_school_indicators": "reports", "reports.export_school_responses": "reports",
    "comments.school_comments": "reports",
    "comments.dsl_queue": "safeguarding", "comments.handle_flag": "safeguarding",
    "comments.word_lists": "word_lists", "comments.edit_word_list": "word_lists",
    "invitations.responses_per_day_chart": "rates",
}
BLUEPRINTS = {"categorisation": "categories", "schedule": "schedule", "targets": "results"}


def nav_section(endpoint):
    """The tab (one of SECTIONS) for a request endpoint such as "reports.show_pack", or None."""
    if not endpoint:
        return None
    if endpoint in PAGES:
        return PAGES[endpoint]
    blueprint, _, view = endpoint.partition(".")
    if blueprint == "reports":
        return "wellbeing" if view.startswith("wellbeing") else "results"
    if blueprint == "surveys":
        if "class_session" in view:
            return "class_sessions"
        if any(word in view for word in ("instrument", "question", "priorit")):
            return "instruments"
        return "surveys"
    if blueprint == "invitations":
        return "rates" if "rates" in view else "invitations"
    return BLUEPRINTS.get(blueprint)
