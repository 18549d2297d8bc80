from pathlib import Path

import pytest

from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
PHONE_DEVICE = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def sync_orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread while the browser is open. The
    tests' own ORM calls (seeding, changing a price, flushing) stay synchronous and safe, so Django
    may allow them, for this module only: the variable must not leak into later tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(sync_orm_beside_playwright):
    """Module-scoped, so the event loop is gone before the next (non-browser) module runs."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE_DEVICE)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, live_server, username, password=PASSWORD):
    """As a person does: open /admin/login/ (no ?next=), type the name and password, tap Log in;
    lands on the dashboard."""
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").press_sequentially(username)
    page.locator("#id_password").press_sequentially(password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
