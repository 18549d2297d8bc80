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


def assert_chart_fits(chart):
    """The revenue chart is as wide as the phone allows, tall enough to read, and names the three
    businesses in its legend."""
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert 300 <= box["width"] <= 390 and box["height"] >= 180, box
    assert chart.locator(".legends text").count() == 3


def assert_thirty_days_drawn(chart):
    """A line per business over the widget's 30 days; the two that sold today (water, laundry) rise."""
    lines = chart.locator("path.line.reactive").evaluate_all(
        "paths => paths.map(p => [p.getTotalLength(), p.getBBox().height])")
    assert len(lines) == 3 and all(length > 250 for length, _ in lines), lines
    assert sum(1 for _, rise in lines if rise > 20) == 2, lines


def test_owner_opens_reports_and_the_daily_sales_chart_on_a_phone(live_server, demo, phone):
    sell("water", "W-REFILL-20", 3)   # 360.00
    sell("laundry", "L-SUIT", 1)      # 600.00
    log_in(phone, live_server, "owner")

    # the dashboard's revenue widget comes with its chart, an SVG drawn on the server
    widget = phone.locator('[data-widget="reports.revenue_trend"]')
    assert_chart_fits(widget.locator('[data-chart="revenue-trend"] svg'))
    assert_thirty_days_drawn(widget.locator('[data-chart="revenue-trend"] svg'))
    assert "960.00" not in widget.inner_text() and "827.58" in widget.inner_text()  # revenue net of VAT
    widget.scroll_into_view_if_needed()
    widget.screenshot(path=str(ARTIFACTS / "reports-dashboard-widget-owner.png"))
    phone.goto(f"{live_server.url}/admin/reports/")
    links = phone.locator("[data-report-link]").evaluate_all("nodes => nodes.map(n => n.dataset.reportLink)")
    assert links == ["daily_sales", "sales_by_item", "payment_methods", "debtors", "profit_and_loss", "trial_balance", "vat",
                     "stock_valuation", "mpesa", "cash_up"]
    box = phone.locator('[data-report-link="daily_sales"]').bounding_box()
    assert box["height"] >= 44
    phone.screenshot(path=str(ARTIFACTS / "reports-index-owner.png"), full_page=True)

    phone.click('[data-report-link="daily_sales"]')
    phone.wait_for_url("**/admin/reports/daily-sales/")
    assert_chart_fits(phone.locator('[data-chart="revenue-trend"] svg'))  # the 1st of the month to today
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
