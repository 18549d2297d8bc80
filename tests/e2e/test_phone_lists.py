"""Read at a glance on a 390×844 phone: the lists opened most are cards of at most two lines, and the
dashboard's Today figures never touch."""

import uuid
from decimal import Decimal

import pytest

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.core.sales import services as sales
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LISTS = {"sales": "/admin/sales/sale/", "payments": "/admin/payments/payment/",
         "stock levels": "/admin/inventory/stocklevel/", "laundry jobs": "/admin/laundry/job/",
         "customers": "/admin/customers/customer/"}
TEXT_BOXES = """(selector) => [...document.querySelectorAll(selector)].map(row => [...row.children].map(cell => {
    const range = document.createRange(); range.selectNodeContents(cell);
    const box = range.getBoundingClientRect(); return [box.left, box.right, cell.textContent.trim()];
}))"""


def sell(code, sku, quantity):
    item = Item.objects.get(business__code=code, sku=sku)
    sales.create_sale(business=Business.objects.get(code=code), client_uuid=uuid.uuid4(),
                      lines=[sales.SaleLineInput(item.pk, Decimal(quantity))])


def test_the_lists_opened_most_are_cards_of_two_lines(live_server, stocked, phone):
    sell("water", "W-REFILL-20", 3)
    sell("shop", "S-BREAD-400", 2)
    log_in(phone, live_server, "owner")
    line = None
    for name, path in LISTS.items():
        phone.goto(f"{live_server.url}{path}")
        rows = phone.locator("#result_list tr.data-row")
        if name in ("sales", "payments", "stock levels"):
            assert rows.count() > 0, f"no {name} to look at"
        for row in rows.all():
            line = line or float(phone.evaluate("parseFloat(getComputedStyle(document.querySelector("
                                                "'#result_list tr.data-row')).lineHeight)"))
            height = row.bounding_box()["height"]
            assert height <= 2 * line + 24, f"a {name} row is {height}px high: more than two lines"
        phone.screenshot(path=str(ARTIFACTS / f"list-{name.replace(' ', '-')}.png"))


def test_the_today_figures_never_touch(live_server, stocked, phone):
    sell("water", "W-REFILL-20", 3)
    sell("laundry", "L-SUIT", 2)
    log_in(phone, live_server, "owner")
    today = phone.locator("[data-today]")
    today.wait_for()
    rows = phone.evaluate(TEXT_BOXES, "[data-today] tr")
    assert len(rows) >= 4
    for cells in rows:
        for (_, right, before), (left, _, after) in zip(cells, cells[1:]):
            if before and after:
                assert left - right >= 4, f"{before!r} and {after!r} touch ({left - right:.1f}px apart)"
    today.screenshot(path=str(ARTIFACTS / "dashboard-today.png"))
