"""Every role, on a 390×844 phone, logs in at /admin/login/ as a person would and opens every link it
can tap: the sidebar, the dashboard's widgets and the notification list. Each page must answer
< 400, not scroll sideways, log no console error, draw every icon from the subset icon font,
(admin pages) link the web app manifest and look as it would with Unfold's whole stylesheet (no
element styled differently by the trimmed one, theme/static/biashara/styles.css). A page that paints
before its scripts run (data-bs-cloak, see theme/templates/biashara/skeleton.html) must look then as it
settles: nothing on its first screen moves or resizes when the scripts start. The links are read from
the pages, so a new menu entry, widget or notification joins the tour by itself.
"""

import difflib
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import transaction

from modules.core.inventory import services as stock
from modules.core.inventory.models import Item, StockLevel, StockMovement
from tests.conftest import ROLE_USERS
from tests.e2e.conftest import ARTIFACTS, PHONE_DEVICE, log_in

# serialized_rollback: the public site's home page (a data migration) is there, as in production,
# even after other browser tests emptied the tables
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SOURCES = {  # where a role taps, on the dashboard
    "sidebar": "#nav-sidebar-inner a[href]",
    "widgets": "[data-widget] a[href]",
    "notifications": "#bo-bell a[href]",
}
ICON_WIDTH = """() => [...document.querySelectorAll('.material-symbols-outlined')]
    .filter(el => el.offsetParent && el.getBoundingClientRect().width > 2.2 * parseFloat(getComputedStyle(el).fontSize))
    .map(el => el.textContent.trim())"""
# Each element's box and look with the trimmed stylesheet, then with Unfold's whole one swapped in:
# the innermost elements that differ (tag, classes and the properties, the first few). Animated
# properties are left out; a box may differ by 1 px (the laundry intake's two-line item names are
# 41 px tall with the trimmed one, 40 with the whole: not found yet).
STYLE_DRIFT = """async (whole) => {
    const link = document.querySelector('link[rel=stylesheet][href*="biashara/styles"]');
    if (!link) return [];
    const props = ["display", "position", "width", "height", "margin", "padding", "color", "background-color",
        "font-size", "font-weight", "line-height", "border-width", "border-color", "border-radius", "gap",
        "flex-direction", "grid-template-columns", "visibility", "overflow-x", "text-align", "justify-content",
        "align-items", "white-space", "box-shadow"];
    const elements = [...document.body.querySelectorAll("*")];
    const look = () => elements.map(el => { const s = getComputedStyle(el); return props.map(p => s[p]).join("|"); });
    const trimmed = look();
    await new Promise(loaded => { link.onload = loaded; link.href = whole; });
    const full = look();
    const same = (p, a, b) => a === b || (["width", "height"].includes(p) && Math.abs(parseFloat(a) - parseFloat(b)) <= 1);
    const differ = elements.map((el, i) => [el, trimmed[i].split("|"), full[i].split("|")])
        .filter(([, a, b]) => props.some((p, k) => !same(p, a[k], b[k])));
    const innermost = differ.filter(([el]) => !differ.some(([other]) => other !== el && el.contains(other)));
    return innermost.slice(0, 4).map(([el, a, b]) => `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}"> `
        + props.flatMap((p, k) => same(p, a[k], b[k]) ? [] : [`${p} ${a[k]} (whole: ${b[k]})`]).join(", "));
}"""
# Every element's signature and box, and whether it shows on the first screen.
BOXES = """() => [...document.body.querySelectorAll("*")].map(el => { const r = el.getBoundingClientRect();
    return [`<${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}">`, r.x, r.y, r.width, r.height,
            r.width > 0 && r.height > 0 && r.top < innerHeight && getComputedStyle(el).visibility !== "hidden"]; })"""
PAINTS_BEFORE_SCRIPTS = re.compile(r"<html[^>]*\sdata-bs-cloak[\s>]")


def moved_when_scripts_start(context, url, settled):
    """The elements of ``url``'s first screen as painted before any script ran (every .js refused)
    whose box differs by more than 2 px once the page has settled (``settled``: BOXES then). The two
    element lists are aligned by signature, so what the scripts add (a widget's body) is not a move."""
    before_scripts = context.browser.new_context(  # the phone's, signed in; no service worker to serve the scripts
        **PHONE_DEVICE, storage_state=context.storage_state(), service_workers="block")
    page = before_scripts.new_page()
    page.route("**/*.js", lambda route: route.abort())
    page.goto(url, wait_until="load")
    first = page.evaluate(BOXES)
    before_scripts.close()
    matcher = difflib.SequenceMatcher(a=[box[0] for box in first], b=[box[0] for box in settled], autojunk=False)
    moved = []
    for block in matcher.get_matching_blocks():
        for before, after in zip(first[block.a:block.a + block.size], settled[block.b:block.b + block.size]):
            if before[5] and any(abs(b - a) > 2 for a, b in zip(before[1:5], after[1:5])):
                moved.append(f"{before[0]} x, y, width, height {[round(v) for v in before[1:5]]} → {[round(v) for v in after[1:5]]}")
    return moved[:4]


def something_to_be_told():
    """A low-stock alert in every business (each role's bell has a notification to open)."""
    for item in Item.objects.select_related("business").filter(sku__in=["W-REFILL-20", "L-SUIT", "S-MILK-500"]):
        floor = stock.default_location(item.business)
        with transaction.atomic():
            stock.move_stock(item, floor, 10, StockMovement.Kind.ADJUSTMENT, reason="delivery")
        StockLevel.objects.filter(item=item, location=floor).update(reorder_level=Decimal("5"))
        with transaction.atomic():
            stock.move_stock(item, floor, -7, StockMovement.Kind.ADJUSTMENT, reason="count")


def links_to_tour(page, base):
    found = {}
    for source, selector in SOURCES.items():
        for href in page.eval_on_selector_all(selector, "els => els.map(a => a.href)"):
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != base or parts.path in ("", "/admin/logout/"):
                continue
            found.setdefault(href.split("#")[0], source)
    return found


@pytest.mark.parametrize("username", ROLE_USERS)
def test_every_link_a_role_can_tap(live_server, demo, phone, username, request):
    something_to_be_told()
    errors = []
    phone.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    phone.on("pageerror", lambda exc: errors.append(f"script: {exc}"))
    log_in(phone, live_server, username)
    phone.wait_for_load_state("networkidle")
    links = links_to_tour(phone, live_server.url)
    assert any(source == "sidebar" for source in links.values()), "found no sidebar links"
    assert f"{live_server.url}/admin/" in links
    if any(urlsplit(url).path.startswith("/health/") for url in links):
        request.getfixturevalue("worker")  # the Health page reports a missing worker as a failure

    problems = []
    for url, source in links.items():
        errors.clear()
        answer = phone.request.get(url, max_redirects=0)
        if answer.status >= 400:
            problems.append(f"{source} {url}: HTTP {answer.status}")
            continue
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue  # a download or JSON: its status is what matters
        phone.goto(url, wait_until="networkidle")
        if PAINTS_BEFORE_SCRIPTS.search(answer.text()) and (
                moved := moved_when_scripts_start(phone.context, url, phone.evaluate(BOXES))):
            problems.append(f"{source} {url}: moves when its scripts start: {moved}")
        overflow = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{source} {url}: scrolls sideways by {overflow}px")
            phone.screenshot(path=str(ARTIFACTS / f"tour-{username}-{urlsplit(url).path.strip('/').replace('/', '-')}.png"))
        if urlsplit(url).path.startswith("/admin/") and not phone.locator("link[rel=manifest]").count():
            problems.append(f"{source} {url}: no link to the web app manifest")
        if broken := phone.evaluate(ICON_WIDTH):
            problems.append(f"{source} {url}: icons missing from the icon font: {sorted(set(broken))}")
        if drift := phone.evaluate(STYLE_DRIFT, f"{live_server.url}/static/unfold/css/styles.css"):
            problems.append(f"{source} {url}: styled differently by the trimmed stylesheet: {drift}")
        problems += [f"{source} {url}: {error}" for error in errors]
    assert not problems, f"{username}, {len(links)} links:\n" + "\n".join(problems)
