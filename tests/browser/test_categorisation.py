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


def test_the_cio_sees_what_is_due_sets_the_schedule_rules_and_subscribes(live_server, desktop):
    import icalendar

    page = desktop
    sign_in(page, live_server.url)
    assert "Due in the next 14 days" in page.locator("main").inner_text()  # the CIO's home page
    assert_accessible(page)
    page.goto(f"{live_server.url}/schedule/")
    page.get_by_role("link", name="Schedule settings").click()
    assert page.locator("h1").inner_text() == "Schedule settings"
    assert_accessible(page)
    page.fill("#max_surveys_per_term", "0")
    page.fill("#sgc_week", "13")
    page.get_by_role("button", name="Save settings").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "from 1 to 6" in summary and "from 1 to 12" in summary
    assert page.locator("#sgc_week").input_value() == "13"  # what was typed survives
    assert_accessible(page)
    page.fill("#max_surveys_per_term", "2")
    page.fill("#sgc_week", "10")
    page.get_by_role("button", name="Save settings").click()
    assert "Schedule settings saved." in page.locator("main").inner_text()

    page.get_by_role("link", name="Subscribe in Outlook or Google Calendar").click()
    assert_accessible(page)
    page.get_by_role("button", name="Make my calendar address").click()
    address = page.locator("#feed-url").input_value()
    assert_accessible(page)
    feed = page.context.request.get(address)  # no sign-in needed: the secret is the key
    calendar = icalendar.Calendar.from_ical(feed.body())
    assert len(list(calendar.walk("VEVENT"))) > 20
    page.goto(f"{live_server.url}/schedule/subscribe")
    assert "You have a calendar subscription" in page.locator("main").inner_text()
    page.get_by_role("button", name="Stop my subscription").click()
    assert page.context.request.get(address).status == 404


def test_a_head_adds_a_smart_target_and_governors_see_its_progress(live_server, desktop):
    from datetime import date, timedelta

    page = desktop
    sign_in(page, live_server.url, who="head1")
    main = page.locator("main")
    assert "Due in the next 14 days" in main.inner_text() and "SMART targets" in main.inner_text()
    page.get_by_role("link", name="All targets for Ashby Road Primary School").click()
    assert page.locator("h1").inner_text() == "SMART targets"
    assert_accessible(page)
    page.get_by_role("link", name="Add a target").click()
    page.get_by_role("button", name="Save target").click()
    assert "Choose an indicator" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.select_option("#indicator", "priority:parent:wellbeing")
    page.fill("#target_value", "90")
    page.fill("#target_on", (date.today() + timedelta(days=240)).isoformat())
    page.fill("#owner", "Wellbeing lead")
    page.get_by_role("button", name="Save target").click()
    assert "Target saved: 90%" in main.inner_text()
    assert "Parents: Wellbeing (% positive)" in main.inner_text() and "Wellbeing lead" in main.inner_text()
    assert_accessible(page)
    page.goto(f"{live_server.url}/schools/1/sgc-overview")
    assert "Progress on SMART targets" in main.inner_text() and "Wellbeing lead" in main.inner_text()
    assert_accessible(page)


def test_the_target_and_schedule_pages_are_accessible_on_a_phone(live_server, phone):
    sign_in(phone, live_server.url, who="cio")
    for path, heading in [("/schools/1/targets", "SMART targets"), ("/schools/1/targets/new", "Add a target"),
                          ("/schools/1/targets/1/edit", "Change a target"), ("/schedule/settings", "Schedule settings"),
                          ("/schedule/subscribe", "Subscribe to the schedule"), ("/schools/1", "Ashby Road")]:
        phone.goto(live_server.url + path)
        assert phone.locator("h1").inner_text().startswith(heading)
        assert_accessible(phone)


def test_a_wrong_term_date_in_the_schedule_settings_is_explained_and_kept(live_server, phone):
    sign_in(phone, live_server.url, who="cio")
    phone.goto(live_server.url + "/schedule/settings")
    phone.fill("#term_start-spring-day", "31")
    phone.fill("#term_start-spring-month", "2")
    phone.get_by_role("button", name="Save settings").click()
    summary = phone.locator(".govuk-error-summary")
    assert "The spring term’s start must be a real date." in summary.inner_text()
    assert phone.input_value("#term_start-spring-day") == "31"
    assert_accessible(phone)
    summary.get_by_role("link").first.click()
    assert phone.evaluate("document.activeElement.id") == "term_start-spring-day"
