"""The sidebar without SimpleBar (biashara/native-scroll.js): on a desktop it scrolls itself so that
the open page's link is in view; on a phone, where it is hidden until the menu button is tapped,
the page's load reads none of its layout."""

import pytest

from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DESKTOP = {"width": 1440, "height": 640}
LINK_BOX = """() => {
    const nav = document.getElementById("nav-sidebar-apps"), link = nav.querySelector("a.active");
    const box = nav.getBoundingClientRect(), own = link.getBoundingClientRect();
    return {top: own.top - box.top, bottom: box.bottom - own.bottom, scrolled: nav.scrollTop};
}"""


def test_the_open_pages_link_is_in_view_on_a_desktop(live_server, demo, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, live_server, "owner")
    links = page.locator("#nav-sidebar-apps a[href^='/admin/']")
    last = links.nth(links.count() - 1)
    below = page.evaluate("""(link) => link.offsetTop - document.getElementById("nav-sidebar-apps").clientHeight""",
                          last.element_handle())
    assert below > 0, "the owner's last sidebar link fits on the screen: this test needs a taller sidebar"
    page.goto(f"{live_server.url}{last.get_attribute('href')}")
    page.wait_for_load_state("load")
    box = page.evaluate(LINK_BOX)
    assert box["scrolled"] > 0 and box["top"] >= 0 and box["bottom"] >= 0, f"the open page's link is out of view: {box}"
    page.screenshot(path=str(ARTIFACTS / "sidebar-desktop.png"))
    context.close()


def test_a_phone_loads_without_reading_the_hidden_sidebar(live_server, demo, phone):
    log_in(phone, live_server, "owner")
    phone.add_init_script("""(() => {
        window.sidebarLayoutReads = 0;  // reading a box of the hidden sidebar forces a layout of the page
        for (const name of ["offsetTop", "clientHeight"]) {
            const owner = name === "offsetTop" ? HTMLElement.prototype : Element.prototype;
            const read = Object.getOwnPropertyDescriptor(owner, name).get;
            Object.defineProperty(owner, name, {configurable: true, get() {
                if (this.closest && this.closest("#nav-sidebar-apps")) window.sidebarLayoutReads++;
                return read.call(this);
            }});
        }
    })()""")
    phone.goto(f"{live_server.url}/admin/sales/sale/")
    phone.wait_for_load_state("load")
    phone.wait_for_timeout(500)
    assert phone.locator("#nav-sidebar-apps a.active").count() == 1
    assert phone.locator("#nav-sidebar-apps").is_hidden()
    assert phone.evaluate("window.sidebarLayoutReads") == 0, "the page's load read the hidden sidebar's layout"
