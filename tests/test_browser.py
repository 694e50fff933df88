"""The page in a real browser: Playwright driving Debian's Chromium against a real server."""

import os
import shutil
import threading

import pytest
from waitress.server import create_server

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def server_url(app):
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have {CHROMIUM} (.ci/run installs it with apt)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_search_from_the_box_shows_passages_and_facets(page, server_url):
    page.goto(server_url)
    page.get_by_label("Search announcements").fill("EpCAM CAR-T gastric")
    page.keyboard.press("Enter")
    page.wait_for_selector("li.hit")
    assert "q=EpCAM" in page.url
    assert "IMC001" in page.locator("li.hit").first.inner_text()
    assert page.locator("aside.facets section[data-facet=event] li").count() > 0
    assert page.locator("li.hit mark").count() > 0


def test_a_facet_click_filters_and_stays_in_the_url(page, server_url):
    page.goto(f"{server_url}/?q=orphan designation")
    page.locator("section[data-facet=event] a", has_text="Designation").first.click()
    page.wait_for_selector("section[data-facet=event] a.selected")
    assert "event=designation" in page.url
    for chip in page.locator("li.hit ul.chips .chip.event").all_inner_texts():
        assert chip.startswith("Designation")


def test_opening_a_result_shows_the_whole_announcement_with_the_passage_marked(page, server_url):
    page.goto(f"{server_url}/?q=EpCAM CAR-T gastric")
    page.locator("li.hit h2.title a").first.click()
    page.wait_for_selector("article.document")
    assert page.locator("article.document .chunk.matched").count() == 1
    assert page.locator("article.document mark").count() > 0


def test_the_feed_link_leads_to_an_atom_feed(page, server_url):
    page.goto(f"{server_url}/?q=gene therapy")
    href = page.get_by_role("link", name="Atom feed").get_attribute("href")
    response = page.request.get(server_url + href)
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in response.text()


def test_the_page_works_without_javascript(browser, server_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server_url)
    page.get_by_label("Search announcements").fill("gene therapy")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("li.hit")
    page.get_by_role("link", name="Next →").click()
    assert "page=2" in page.url and page.locator("li.hit").count() > 0
    context.close()


def test_a_script_in_the_query_is_text_and_never_runs(page, server_url):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server_url}/?q=<script>alert(1)</script> <img src=x onerror=alert(2)>")
    assert dialogs == []
    assert "<script>alert(1)</script>" in page.get_by_label("Search announcements").input_value()


def test_the_page_fits_a_phone(browser, server_url):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server_url}/?q=CAR-T")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    context.close()


def test_on_a_phone_the_filters_open_from_a_toggle_above_the_results(browser, server_url):
    # Without JavaScript: the panel is a plain <details>.
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server_url}/?q=CAR-T")
    toggle = page.locator("details.filters > summary")
    box = toggle.bounding_box()
    assert box["y"] + box["height"] <= 844
    assert box["y"] < page.locator("li.hit").first.bounding_box()["y"]
    event_facet = page.locator("section[data-facet=event]")
    assert not event_facet.is_visible()
    toggle.click()
    assert event_facet.is_visible() and event_facet.locator("li a").first.is_visible()
    context.close()


def test_on_a_wide_screen_the_filters_are_an_open_sidebar(browser, server_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server_url}/?q=CAR-T")
    event_facet = page.locator("section[data-facet=event]")
    assert event_facet.is_visible() and not page.locator("details.filters > summary").is_visible()
    assert event_facet.bounding_box()["x"] + 100 < page.locator("li.hit").first.bounding_box()["x"]
    context.close()


def test_the_whole_passage_opens_in_place_of_its_matching_sentences(page, server_url):
    page.goto(f"{server_url}/?q=ICP-723")
    box = page.locator(".passage-box").first
    whole, short = box.locator("details.whole .passage"), box.locator(".excerpt")
    assert short.is_visible() and not whole.is_visible()
    box.locator("summary").click()
    assert whole.is_visible() and not short.is_visible()


def test_the_start_page_lists_an_event_newest_first_without_a_query(page, server_url):
    page.goto(server_url)
    page.locator("form.browse select[name=event]").select_option("approval")
    page.get_by_role("button", name="List announcements").click()
    page.wait_for_selector("li.hit")
    assert "event=approval" in page.url
    dates = page.locator("li.hit time").evaluate_all("times => times.map(time => time.dateTime)")
    assert dates == sorted(dates, reverse=True)
