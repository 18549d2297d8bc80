"""The owner, on a 390×844 phone, opens the reports, the daily sales report with its revenue chart,
and sees the same chart on the dashboard."""

import uuid
from decimal import Decimal

import pytest

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.core.sales import services as sales
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sell(code, sku, quantity):
    item = Item.objects.get(business__code=code, sku=sku)
    sales.create_sale(business=Business.objects.get(code=code), client_uuid=uuid.uuid4(),
                      lines=[sales.SaleLineInput(item.pk, Decimal(quantity))])


def test_owner_opens_reports_and_the_daily_sales_chart_on_a_phone(live_server, demo, phone):
    sell("water", "W-REFILL-20", 3)   # 360.00
    sell("laundry", "L-SUIT", 1)      # 600.00
    log_in(phone, live_server, "owner")

    # the dashboard's revenue widget draws its chart after the htmx swap
    widget = phone.locator('[data-widget="reports.revenue_trend"]')
    widget.scroll_into_view_if_needed()  # charts are drawn when they come near the screen
    widget.locator("canvas[data-bs-drawn]").wait_for()
    assert "960.00" not in widget.inner_text() and "827.58" in widget.inner_text()  # revenue net of VAT
    widget.scroll_into_view_if_needed()
    widget.screenshot(path=str(ARTIFACTS / "reports-dashboard-widget-owner.png"))
    phone.goto(f"{live_server.url}/admin/reports/")
    links = phone.locator("[data-report-link]").evaluate_all("nodes => nodes.map(n => n.dataset.reportLink)")
    assert links == ["daily_sales", "sales_by_item", "payment_methods", "profit_and_loss", "trial_balance", "vat",
                     "stock_valuation", "mpesa", "cash_up"]
    box = phone.locator('[data-report-link="daily_sales"]').bounding_box()
    assert box["height"] >= 44
    phone.screenshot(path=str(ARTIFACTS / "reports-index-owner.png"), full_page=True)

    phone.click('[data-report-link="daily_sales"]')
    phone.wait_for_url("**/admin/reports/daily-sales/")
    phone.locator("canvas[data-bs-trend]").scroll_into_view_if_needed()
    phone.locator("canvas[data-bs-drawn]").wait_for()
    assert phone.evaluate("Chart.getChart(document.querySelector('canvas[data-bs-trend]')).data.datasets.length") == 3
    table = phone.locator('[data-report="daily_sales"]')
    assert "960.00" in table.inner_text()  # 360 + 600, all businesses
    overflow = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the report page scrolls sideways by {overflow}px on a phone"
    # the wide table scrolls inside its own wrapper instead
    assert phone.evaluate("(() => { const w = document.querySelector('[data-report=daily_sales]');"
                          " return w.scrollWidth > w.clientWidth; })()")
    phone.screenshot(path=str(ARTIFACTS / "reports-daily-sales-owner.png"), full_page=True)

    # cash-up: the owner counts the water drawer 10 short; their own count is approved as made
    phone.goto(f"{live_server.url}/admin/reports/cash-up/?business=water")
    form = phone.locator("[data-cashup-form]")
    form.locator("select[name=business]").select_option("water")
    form.locator("input[name=counted]").fill("350")
    form.locator("button[type=submit]").click()
    phone.wait_for_url("**/admin/reports/cash-up/?business=water*")
    row = phone.locator('[data-report="cash_up"] tbody tr').first
    assert "Approved, difference posted" in row.inner_text() and "-10.00" in row.inner_text()
    phone.screenshot(path=str(ARTIFACTS / "reports-cash-up-owner.png"), full_page=True)
