"""The head's dashboard, trust heatmap and wellbeing pages in a real browser, with axe."""

import pytest

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def sign_in(page, url, who):
    page.goto(f"{url}/sign-in")
    page.fill("#email", f"{who}@{DEMO_DOMAIN}")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def charts_loaded(page):
    """Every chart image on the page loaded as a real picture (not a broken image)."""
    images = page.locator("img.sv-chart__image")
    assert images.count() > 0
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=image.element_handle(), timeout=30000)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_head_dashboard_shows_results_charts_and_their_words(live_server, request, size):
    page = request.getfixturevalue(size)
    sign_in(page, live_server.url, "head1")
    assert page.locator("h1").inner_text() == "Ashby Road Primary School"
    main = page.locator("main").inner_text()
    assert "response rate" in main and "Since last survey" in main and "Against the trust" in main
    assert "The chart in words" in main
    charts_loaded(page)
    assert_accessible(page)
    # An earlier, closed parent survey has enough families to compare groups.
    options = page.locator("#survey_id option").all_inner_texts()
    earlier = [text for text in options if text.startswith("Parent survey")][1]
    page.select_option("#survey_id", label=earlier)
    page.get_by_role("button", name="Show results").click()
    assert "SEND: each group's percentage positive" in page.locator("main").inner_text()
    assert_accessible(page)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_trust_heatmap_page_filters_by_hub(live_server, request, size):
    page = request.getfixturevalue(size)
    sign_in(page, live_server.url, "cio")
    assert page.locator("h1").inner_text() == "Results across the trust"
    charts_loaded(page)
    assert "Little Hadley Primary School: Wellbeing too few responses" in page.locator(
        "figcaption").inner_text()
    assert_accessible(page)
    page.select_option("#hub_id", label="Coastal hub")
    page.get_by_role("button", name="Show results").click()
    assert page.locator("h1").inner_text() == "Results across the trust: Coastal hub"
    # The results and chart (not the "due in the next 14 days" list above them) leave other hubs out.
    shown = " ".join(page.locator("main table, main figcaption").all_inner_texts())
    assert "Westcliff" in shown and "Ashby Road" not in shown
    charts_loaded(page)
    assert_accessible(page)


def test_the_wellbeing_committee_sees_staff_trends_and_hse_scores(live_server, desktop):
    sign_in(desktop, live_server.url, "wellbeing")
    assert desktop.locator("h1").inner_text() == "Wellbeing over time: whole trust"
    main = desktop.locator("main").inner_text()
    assert "HSE Management Standards" in main and "Demands" in main
    charts_loaded(desktop)
    assert_accessible(desktop)
