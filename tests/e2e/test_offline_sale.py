"""The quick sale with no network, on a 390×844 phone: it opens from the service worker's cache,
cash and till-code sales wait in IndexedDB with a provisional receipt, and each reaches the server exactly once
when the network comes back — after a reload, through cuts in the middle of sending, and with two
tabs sending at the same moment. A sale the server refuses when it arrives stays on the phone and the
owner is told. Money pages are never served from cache."""

import random
import time
import pytest
from django.db import transaction
from django.db.models import Sum

from modules.core.inventory.models import Item, StockMovement
from modules.core.inventory.services import default_location, move_stock
from modules.core.ledger.models import JournalLine
from modules.core.notifications.models import Notification
from modules.core.sales.models import Sale
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SACHET = "500 ml sachet"


def open_quick_sale_online(page, live_server):
    """Log in, open the quick sale once the service worker controls the page (so it keeps a copy)."""
    log_in(page, live_server, "water_staff")
    page.goto(f"{live_server.url}/admin/sales/quick/?business=water")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    page.reload()
    page.locator(f'[data-item="{SACHET}"]').wait_for()


def sell_offline(page, how_many):
    for n in range(how_many):
        page.locator(f'[data-item="{SACHET}"]').click()
        page.get_by_role("button", name="Cash").click()
        page.locator("[data-provisional-receipt]").wait_for()
        page.locator("[data-waiting]").get_by_text(f"Waiting to send ({n + 1})").wait_for()
        page.get_by_role("button", name="Next sale").click()


SEND = "() => document.querySelector('[data-quick-sale]')._x_dataStack[0].send()"


def send_now(page):
    """What the page does on reconnect (and every 30 s): send the waiting sales, here after any round
    already under way (the page skips a round while another holds the lock); returns when done."""
    page.evaluate(f"async () => {{ await navigator.locks.request('bs-send-sales', () => {{}}); await ({SEND})(); }}")


def waiting(page):
    return page.evaluate("""async () => (await bsStore.all("sales")).filter(e => e.state === "waiting").length""")


def wait_until_sent(page, seconds=120):
    deadline = time.monotonic() + seconds
    while waiting(page):
        assert time.monotonic() < deadline, f"{waiting(page)} sales still waiting"
        page.wait_for_timeout(300)


def snapshot():
    """What exists before the test's sales: the sales and the sachet's sale movements."""
    return {"sales": set(Sale.objects.values_list("pk", flat=True)), "moved": sachet_sale_movements().count()}


def sachet_sale_movements():
    return StockMovement.objects.filter(item__business__code="water", item__name=SACHET, kind=StockMovement.Kind.SALE)


def assert_sold_exactly(count, before):
    """count new one-sachet sales, the stock moved once for each, and the ledger balanced."""
    sales = Sale.objects.filter(business__code="water").exclude(pk__in=before["sales"])
    assert sales.count() == count
    assert [(line.item.name, line.quantity) for sale in sales for line in sale.lines.all()] == [(SACHET, 1)] * count
    assert sachet_sale_movements().count() == before["moved"] + count
    totals = JournalLine.objects.filter(business__code="water").aggregate(debit=Sum("debit"), credit=Sum("credit"))
    assert totals["debit"] == totals["credit"]


def test_five_sales_offline_a_reload_then_the_network_back(live_server, stocked, phone):
    before = snapshot()
    open_quick_sale_online(phone, live_server)
    phone.context.set_offline(True)
    phone.reload()  # opens from the cache, saying how old the prices are
    phone.locator("[data-offline-prices]").get_by_text("Offline: prices from").wait_for()
    sell_offline(phone, 5)
    phone.locator(f'[data-item="{SACHET}"]').click()  # a sixth in the cart, not yet paid
    phone.screenshot(path=str(ARTIFACTS / "quick-sale-offline.png"), full_page=True)

    phone.reload()
    phone.locator("[data-waiting]").get_by_text("Waiting to send (5)").wait_for()
    phone.locator(".bs-qty").get_by_text("1").wait_for()  # the cart survived the reload
    phone.goto(f"{live_server.url}/admin/")  # a money page: never from the cache
    phone.locator("[data-offline-page]").wait_for()
    assert phone.locator("[data-today]").count() == 0
    phone.get_by_role("link", name="Open the quick sale").click()
    phone.locator("[data-waiting]").get_by_text("Waiting to send (5)").wait_for()

    phone.context.set_offline(False)
    wait_until_sent(phone)
    phone.locator("[data-waiting]").wait_for(state="hidden")
    assert_sold_exactly(5, before)
    assert phone.locator(".bs-qty").get_by_text("1").is_visible()  # the unpaid cart is still there


def test_sending_cut_three_times_still_sends_each_sale_once(live_server, stocked, phone):
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    before = snapshot()
    open_quick_sale_online(phone, live_server)
    phone.context.set_offline(True)
    sell_offline(phone, 5)

    cuts = set(rng.sample(range(5), 3))  # which sends reach the server and lose their answer
    sends = []

    def cut_some(route):
        sends.append(route.request.post_data_json["uuid"])
        response = route.fetch()  # the server records the sale…
        if len(sends) - 1 in cuts:
            route.abort("internetdisconnected")  # …and the phone never hears back
        else:
            route.fulfill(response=response)

    phone.context.route("**/admin/sales/quick/submit/", cut_some)
    phone.context.set_offline(False)
    for _ in range(8):  # what reconnecting does, round after round: each cut ends a round
        if not waiting(phone):
            break
        send_now(phone)
    wait_until_sent(phone)
    assert len(sends) == 5 + 3 and len(set(sends)) == 5, (seed, sends)
    print(f"\n[offline] cut sends {sorted(cuts)} of {len(sends)} (seed {seed})")
    assert_sold_exactly(5, before)


def test_two_tabs_sending_at_the_same_moment_send_each_sale_once(live_server, stocked, phone):
    before = snapshot()
    open_quick_sale_online(phone, live_server)
    other = phone.context.new_page()
    other.goto(f"{live_server.url}/admin/sales/quick/?business=water")
    phone.context.set_offline(True)
    sell_offline(phone, 5)
    other.reload()
    other.locator("[data-waiting]").get_by_text("Waiting to send (5)").wait_for()

    phone.context.set_offline(False)  # both tabs hear "online" and start sending
    for page in (phone, other):  # and again, both at the same moment (not waiting for either)
        page.evaluate(f"() => {{ ({SEND})(); }}")
    wait_until_sent(phone)
    assert_sold_exactly(5, before)


def retire(item):
    Item.objects.filter(pk=item.pk).update(is_active=False)


def sell_out(item):
    """What is on hand where the quick sale sells from leaves as an adjustment (another till sold it
    while this phone was offline)."""
    location = default_location(item.business)
    with transaction.atomic():
        on_hand = item.stock_levels.get(location=location).quantity
        move_stock(item, location, -on_hand, StockMovement.Kind.ADJUSTMENT, reason="test")


@pytest.mark.parametrize("gone, reason", [(retire, "not sold by this business any more"), (sell_out, "left at")])
def test_a_sale_refused_when_sent_stays_on_the_phone_and_the_owner_is_told(live_server, stocked, phone, gone, reason):
    """The sachet is retired, or sold out, while the phone is offline: its two sales are refused when
    sent, stay on the phone with the reason (a reload too) until the seller says they dealt with them,
    nothing is booked, and the owner is told of each."""
    before = snapshot()
    open_quick_sale_online(phone, live_server)
    phone.context.set_offline(True)
    sell_offline(phone, 2)
    gone(Item.objects.get(business__code="water", name=SACHET))

    phone.context.set_offline(False)
    send_now(phone)
    refused = phone.locator("[data-refused]")
    refused.nth(1).wait_for()
    assert (refused.count(), waiting(phone)) == (2, 0)
    assert reason.lower() in refused.first.inner_text().lower() and SACHET in refused.first.inner_text()
    assert_sold_exactly(0, before)
    told = Notification.objects.filter(kind="sales.offline_refused", recipient__username="owner")
    assert told.count() == 2 and all("made offline was refused" in n.message for n in told)
    phone.screenshot(path=str(ARTIFACTS / "quick-sale-refused-when-sent.png"), full_page=True)

    phone.reload()
    refused.nth(1).wait_for()
    refused.first.get_by_role("button", name="Dealt with it").click()
    phone.wait_for_function("document.querySelectorAll('[data-refused]').length === 1")
    send_now(phone)  # a refused sale is never sent again
    assert_sold_exactly(0, before)


def test_a_till_payment_offline_keeps_its_m_pesa_code_and_is_booked_once(live_server, stocked, phone):
    """The customer pays the till from their own phone while ours has no network: the seller types
    the code from the customer's SMS; the sale waits, then is booked once, paid by that code, which
    waits for M-Pesa's confirmation."""
    from modules.core.payments import services as payments
    from modules.core.payments.models import MpesaReceipt

    before = snapshot()
    open_quick_sale_online(phone, live_server)
    phone.context.set_offline(True)
    phone.reload()
    phone.locator(f'[data-item="{SACHET}"]').click()
    phone.locator("[data-toggle-till]").click()
    phone.locator("[data-till-code]").fill("qk7ab1 cd2")  # too short: asked again, nothing sent
    phone.locator("[data-till-pay]").click()
    phone.get_by_role("alert").get_by_text("10 letters and digits").wait_for()
    phone.locator("[data-till-code]").fill("qk7ab1cd2e")
    phone.locator("[data-till-pay]").click()
    receipt = phone.locator("[data-provisional-receipt]")
    receipt.get_by_text("M-Pesa till, code QK7AB1CD2E").wait_for()
    phone.locator("[data-waiting]").get_by_text("Waiting to send (1)").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "quick-sale-offline-till.png"), full_page=True)

    phone.context.set_offline(False)
    send_now(phone)
    send_now(phone)  # a second round finds nothing more to send
    wait_until_sent(phone)
    assert_sold_exactly(1, before)
    sale = Sale.objects.filter(business__code="water").exclude(pk__in=before["sales"]).get()
    assert [(p.method, p.amount) for p in payments.payments_for(sale)] == [("mpesa", sale.total)]
    assert payments.amount_due(sale) == 0
    code = MpesaReceipt.objects.get(receipt="QK7AB1CD2E")  # waits for M-Pesa's confirmation (C2B or statement)
    assert (code.source, code.amount, code.confirmed_at) == (MpesaReceipt.Source.TYPED, sale.total, None)


def test_the_back_office_is_installable(live_server, demo, phone):
    """Chromium's own installability check (what Lighthouse's installable-manifest audit asked)."""
    log_in(phone, live_server, "owner")
    phone.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    manifest = phone.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert (manifest["start_url"], {i["sizes"] for i in manifest["icons"] if i["type"] == "image/png"}) == (
        "/admin/", {"192x192", "512x512"})
    cdp = phone.context.new_cdp_session(phone)
    errors = {e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]}
    assert errors <= {"in-incognito"}, errors  # Playwright's contexts are incognito: nothing installs there
