"""The CIO's categorisation walk in a real browser, with axe on every page."""

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible


def sign_in(page, url, who="cio"):
    page.goto(f"{url}/sign-in")
    page.fill("#email", f"{who}@{DEMO_DOMAIN}")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_cio_reads_the_grid_overrides_a_school_and_compares_reviews(live_server, desktop):
    page = desktop
    sign_in(page, live_server.url)
    page.get_by_role("link", name="Categories").click()
    assert page.locator("h1").inner_text() == "Categories across the trust"
    grid = page.locator("table.sv-grid")
    assert grid.locator("tbody tr").count() == 12
    assert "Insufficient evidence" in grid.inner_text()  # Little Hadley's parents are too few
    assert_accessible(page)

    page.get_by_role("link", name="Meadowbank Primary School").click()
    assert page.locator("h1").inner_text() == "Meadowbank Primary School"
    assert "n = " in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Decide the overall category").click()
    assert_accessible(page)
    suggested = page.locator("input[name=category]:checked").get_attribute("value")
    other = "sustain" if suggested != "sustain" else "improve"
    page.locator(f"input[name=category][value={other}]").check()
    page.get_by_role("button", name="Record decision").click()
    assert "Write why you are choosing" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator(f"input[name=category][value={other}]").is_checked()  # the choice survives
    assert_accessible(page)
    page.fill("#rationale", "New leadership team since September; evidence not yet caught up.")
    page.get_by_role("button", name="Record decision").click()
    assert "Decision recorded." in page.locator("main").inner_text()
    assert "overriding the suggestion" in page.locator("main").inner_text()
    assert "New leadership team since September" in page.locator("main").inner_text()

    page.goto(f"{live_server.url}/categorisation/reviews")
    assert_accessible(page)
    page.fill("#name", "Browser test review")
    page.get_by_role("button", name="Take the review now").click()
    assert page.locator("h1").inner_text() == "Browser test review"
    assert_accessible(page)
    page.goto(f"{live_server.url}/categorisation/reviews")
    page.get_by_role("button", name="Compare").click()
    assert "Meadowbank Primary School" in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_cio_pages_for_data_rules_areas_and_schedule_are_accessible_on_a_phone(live_server, phone):
    sign_in(phone, live_server.url)
    for path, heading in [("/categorisation/", "Categories across the trust"),
                          ("/categorisation/data", "School data"),
                          ("/categorisation/rules", "Evidence rules"),
                          ("/categorisation/areas", "Areas"),
                          ("/schedule/", "Schedule")]:
        phone.goto(live_server.url + path)
        assert phone.locator("h1").inner_text().startswith(heading)
        assert_accessible(phone)
    assert "Survey fatigue" in phone.locator("main").inner_text()


def test_a_head_sees_their_category_read_only(live_server, desktop):
    sign_in(desktop, live_server.url, who="head1")
    desktop.goto(f"{live_server.url}/categorisation/")
    assert desktop.locator("h1").inner_text() == "Ashby Road Primary School"
    assert desktop.get_by_role("link", name="Decide the overall category").count() == 0
    assert_accessible(desktop)
