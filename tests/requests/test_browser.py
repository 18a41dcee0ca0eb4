"""A person in a real browser: headless Chromium from Debian's package, driven by
Playwright without any browser download.

Zhang Wei signs in, asks for two items, trips over a validation error and
fixes it; her leader's approval arrives as the approvals service would send
it, and the request page shows the new status and the timeline; then she
makes the request a monthly standing order. Screenshots
of the form and the request page go to a temporary folder, or to
``docs/screenshots/`` with ``UPDATE_SCREENSHOTS=1`` (``make screenshots``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.requests.conftest import serving

CHROMIUM = "/usr/bin/chromium"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="needs Debian's chromium package"
)


@pytest.fixture
def screenshots(tmp_path) -> Path:
    # A test run must not rewrite tracked files unless asked to.
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        return DOCS_SCREENSHOTS
    return tmp_path


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def test_staff_ask_for_two_items_fix_a_mistake_and_see_the_approval(
    app, api, others, browser_page, screenshots
):
    from playwright.sync_api import expect

    page = browser_page
    screenshots.mkdir(parents=True, exist_ok=True)
    with serving(app) as base_url:
        # Signed out, the start page sends her to sign in, then back.
        page.goto(f"{base_url}/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("Username").fill("zhang.wei")
        page.get_by_label("Password").fill("demo-pass")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="My requests")).to_be_visible()

        page.get_by_role("link", name="New request").click()
        page.get_by_label("What is it for?").fill("Printing the quarterly report 季度报告")
        page.get_by_label("Urgent").check()
        page.get_by_label("Assigned by a leader?").select_option("li.na")
        page.get_by_label("Item 1").select_option("PAPER-A4")
        page.get_by_label("Quantity").nth(0).fill("0")
        page.get_by_label("Item 2").select_option("PEN-GEL-BLK")
        page.get_by_label("Quantity").nth(1).fill("2")
        page.screenshot(path=screenshots / "new-request.png", full_page=True)
        page.get_by_role("button", name="Submit request").click()

        # The mistake is shown next to the field, and everything typed is kept.
        first_quantity = page.get_by_label("Quantity").nth(0)
        expect(page.locator("#lines-0-quantity-error")).to_have_text(
            "Quantity must be from 1 to 10000."
        )
        expect(first_quantity).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("What is it for?")).to_have_value(
            "Printing the quarterly report 季度报告"
        )
        expect(page.get_by_label("Item 2")).to_have_value("PEN-GEL-BLK")
        page.screenshot(path=screenshots / "new-request-error.png", full_page=True)

        first_quantity.fill("5")
        page.get_by_role("button", name="Submit request").click()
        expect(page.locator(".page-head .badge")).to_have_text("Submitted")
        request_id = page.url.rsplit("/", 1)[-1]

        # Her leader approves in the approvals service; its event reaches us.
        created = api("get", f"/requests/{request_id}").json
        others.approve(created, cut={"PAPER-A4": 4}, comment="Four reams will do")
        others.reserve(created, {"PAPER-A4": 4, "PEN-GEL-BLK": 2})

        page.reload()
        expect(page.locator(".page-head .badge")).to_have_text("Reserved")
        timeline = page.locator(".timeline")
        expect(timeline).to_contain_text("Li Na")
        expect(timeline).to_contain_text("Four reams will do")
        expect(timeline.locator("li")).to_have_count(3)
        page.screenshot(path=screenshots / "request-page.png", full_page=True)

        page.get_by_role("link", name="← My requests").click()
        expect(page.get_by_role("row")).to_have_count(2)  # the header and her request
        page.screenshot(path=screenshots / "my-requests.png", full_page=True)

        # Paper is needed every month: the request becomes a standing order.
        page.get_by_role("row").nth(1).get_by_role("link").first.click()
        page.get_by_label("Ask for the same again every").select_option("month")
        page.get_by_role("button", name="Make a standing order").click()
        expect(page.get_by_role("heading", name="Standing orders")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("Standing order made: every month")
        expect(page.get_by_role("row")).to_have_count(2)
        expect(page.get_by_role("button", name="Stop")).to_be_visible()
        page.screenshot(path=screenshots / "standing-orders.png", full_page=True)

        page.get_by_role("link", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
