"""Money the owner moves: each movement one balanced entry, checked line by line against the ledger,
approvals above the owner's limit, manual journals, opening balances and expense categories."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from modules.core.approvals import services as approvals
from modules.core.businesses.models import Business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.money import opening as openings
from modules.core.money import services as money
from modules.core.money.models import Journal, Limits, Movement, OpeningBalances, Status
from modules.core.reports import cashup as cashups
from modules.core.reports.models import CashUp
from tests.ledger_helpers import cash_sale, owner_capital

pytestmark = pytest.mark.django_db


def user(name):
    return User.objects.get(username=name)


def business(code):
    return Business.objects.get(code=code)


def balance(code, account):
    return ledger.balance(Account.objects.get(business__code=code, code=account))


def lines_of(entry):
    return [(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account").order_by("id")]


def category(code, name):
    return Account.objects.get(business__code=code, name=name)


def test_banking_the_days_cash_leaves_the_cash_up_with_no_difference(demo):
    today = timezone.localdate()
    owner_capital("water", "500", today)  # the float
    cash_sale("water", "2320", today)
    deposit = money.move("water", "bank_deposit", "2320", user=user("owner"), reference="slip 0042")
    assert deposit.status == Status.POSTED
    assert lines_of(deposit.entry) == [(chart.BANK, Decimal("2320.00"), 0), (chart.CASH, 0, Decimal("2320.00"))]
    assert balance("water", chart.CASH) == 500 and balance("water", chart.BANK) == 2320
    position = cashups.cash_position(business("water"), today)
    assert position == {"opening": 0, "cash_in": Decimal("2820.00"), "cash_out": Decimal("2320.00"),
                        "expected": Decimal("500.00")}
    cashup = cashups.submit_cashup(business("water"), today, "500", user("water_staff"))
    assert cashup.status == CashUp.Status.BALANCED and cashup.variance == 0


def test_mpesa_to_bank_books_the_charge_as_an_expense(demo):
    today = timezone.localdate()
    with ledger_atomic():
        ledger.post("shop", today, "Till takings", [ledger.debit(chart.MPESA, "20000"), ledger.credit(chart.SALES, "20000")])
    sweep = money.move("shop", "mpesa_to_bank", "20000", charge="110", user=user("owner"))
    assert lines_of(sweep.entry) == [(chart.BANK, Decimal("19890.00"), 0), (chart.CHARGES, Decimal("110.00"), 0),
                                     (chart.MPESA, 0, Decimal("20000.00"))]
    assert balance("shop", chart.MPESA) == 0 and balance("shop", chart.CHARGES) == 110
    with pytest.raises(money.MoneyError, match="charge .* must be less than the amount"):
        money.move("shop", "mpesa_to_bank", "100", charge="100", user=user("owner"))


def ledger_atomic():
    from django.db import transaction
    return transaction.atomic()


def test_floats_drawings_and_capital(demo):
    owner = user("owner")
    money.move("laundry", "capital", "10000", till="bank", user=owner)
    money.move("laundry", "float_in", "1500", user=owner)
    assert balance("laundry", chart.CASH) == 1500 and balance("laundry", chart.OWNER_FLOAT) == 1500
    money.move("laundry", "float_out", "1500", user=owner)
    drawn = money.move("laundry", "drawings", "3000", till="bank", user=owner)
    assert lines_of(drawn.entry) == [(chart.OWNER_DRAWINGS, Decimal("3000.00"), 0), (chart.BANK, 0, Decimal("3000.00"))]
    assert balance("laundry", chart.OWNER_FLOAT) == 0 and balance("laundry", chart.CASH) == 0
    assert balance("laundry", chart.BANK) == 7000 and balance("laundry", chart.OWNER_EQUITY) == 10000


def test_petty_cash_picks_a_category_of_that_business(demo):
    today = timezone.localdate()
    owner_capital("water", "1000", today)
    transport = category("water", "Transport and fuel")
    paid = money.move("water", "petty_cash", "350", category=transport, note="Boda to the market", user=user("owner"))
    assert lines_of(paid.entry) == [(chart.TRANSPORT, Decimal("350.00"), 0), (chart.CASH, 0, Decimal("350.00"))]
    with pytest.raises(money.MoneyError, match="Pick the expense category"):
        money.move("water", "petty_cash", "350", user=user("owner"))
    with pytest.raises(money.MoneyError, match="Pick the expense category"):
        money.move("water", "petty_cash", "350", category=category("shop", "Rent"), user=user("owner"))
    with pytest.raises(money.MoneyError, match="Pick the expense category"):  # not an expense category
        money.move("water", "petty_cash", "350", category=Account.objects.get(business__code="water", code=chart.BANK),
                   user=user("owner"))


def test_cash_between_businesses_nets_to_zero_across_them(demo):
    today = timezone.localdate()
    owner_capital("water", "5000", today)
    moved = money.move("water", "transfer", "2000", to_business=business("shop"), user=user("owner"))
    water_entry, shop_entry = ledger.entries_for(moved)
    assert (water_entry.business.code, shop_entry.business.code) == ("water", "shop")
    assert lines_of(water_entry) == [(chart.BETWEEN_BUSINESSES, Decimal("2000.00"), 0), (chart.CASH, 0, Decimal("2000.00"))]
    assert lines_of(shop_entry) == [(chart.CASH, Decimal("2000.00"), 0), (chart.BETWEEN_BUSINESSES, 0, Decimal("2000.00"))]
    assert balance("water", chart.CASH) == 3000 and balance("shop", chart.CASH) == 2000
    consolidated = {row["code"]: row["balance"] for row in ledger.trial_balance()}
    assert consolidated[chart.BETWEEN_BUSINESSES] == 0
    with pytest.raises(money.MoneyError, match="Pick another business"):
        money.move("water", "transfer", "10", to_business=business("water"), user=user("owner"))


def test_cash_never_goes_below_zero_and_nothing_is_kept(demo):
    owner_capital("water", "100", timezone.localdate())
    with pytest.raises(money.MoneyError, match="Cash would go below zero: it holds KES 100.00, this takes out KES 150.00"):
        money.move("water", "bank_deposit", "150", user=user("owner"))
    assert not Movement.objects.exists()


@pytest.mark.parametrize("value, message", [("abc", "as a number"), ("-5", "more than 0"), ("0", "more than 0"),
                                            ("1.005", "two digits"), ("NaN", "more than 0"), ("1e30", "too big")])
def test_bad_amounts_are_refused_plainly(demo, value, message):
    with pytest.raises(money.MoneyError, match=message):
        money.move("water", "capital", value, user=user("owner"))


def test_staff_movements_above_the_owners_limit_wait_for_approval(demo):
    today = timezone.localdate()
    owner_capital("water", "20000", today)
    staff, owner = user("water_staff"), user("owner")
    small = money.move("water", "bank_deposit", "4999.99", user=staff)
    assert small.status == Status.POSTED
    big = money.move("water", "bank_deposit", "5000", user=staff)
    assert big.status == Status.PENDING and big.entry is None
    assert balance("water", chart.BANK) == Decimal("4999.99")
    request = approvals.pending_for(big)
    assert request.amount == 5000 and request in approvals.pending_for_user(owner)
    approvals.approve(request, owner)
    big.refresh_from_db()
    assert big.status == Status.POSTED and big.entry.created_by == owner
    assert balance("water", chart.BANK) == Decimal("9999.99")

    Limits.objects.update_or_create(pk=1, defaults={"movement_threshold": Decimal("100000")})
    assert money.move("water", "bank_deposit", "6000", user=staff).status == Status.POSTED  # the owner raised it
    rejected = money.move("water", "float_in", "100000", user=staff)
    approvals.reject(approvals.pending_for(rejected), owner, comment="No")
    rejected.refresh_from_db()
    assert rejected.status == Status.REJECTED and not ledger.entries_for(rejected)


def test_staff_cannot_move_the_owners_money_or_another_business(demo):
    staff = user("water_staff")
    for kind in ("drawings", "capital", "transfer"):
        with pytest.raises(PermissionDenied):
            money.move("water", kind, "10", user=staff, to_business=business("shop"))
    with pytest.raises(PermissionDenied):
        money.move("shop", "float_in", "10", user=staff)
    with pytest.raises(PermissionDenied):
        money.move("water", "float_in", "10", user=user("accountant"))


def test_an_approved_movement_the_till_cannot_pay_stays_pending_with_the_reason(demo):
    owner_capital("water", "6000", timezone.localdate())
    waiting = money.move("water", "bank_deposit", "6000", user=user("water_staff"))
    with ledger_atomic():
        ledger.post("water", timezone.localdate(), "Rent", [ledger.debit(chart.RENT, "5000"), ledger.credit(chart.CASH, "5000")])
    with pytest.raises(money.MoneyError, match="Cash would go below zero"):
        approvals.approve(approvals.pending_for(waiting), user("owner"))
    waiting.refresh_from_db()
    assert waiting.status == Status.PENDING and approvals.pending_for(waiting) is not None


def test_a_reversed_movement_keeps_its_entry_beside_the_reversal(demo):
    owner_capital("water", "1000", timezone.localdate())
    moved = money.move("water", "bank_deposit", "800", user=user("owner"))
    money.reverse_movement(moved, user=user("owner"))
    moved.refresh_from_db()
    original, reversal = ledger.entries_for(moved)
    assert moved.status == Status.REVERSED and reversal.reversal_of == original
    assert balance("water", chart.CASH) == 1000 and balance("water", chart.BANK) == 0
    with pytest.raises(money.MoneyError, match="only a posted movement"):
        money.reverse_movement(moved, user=user("owner"))


# --- manual journals ------------------------------------------------------------------------------

def test_a_manual_journal_balances_or_is_refused_with_the_reason(demo):
    today = timezone.localdate()
    accountant = user("accountant")
    with pytest.raises(money.MoneyError, match="Debits KES 15,000.00 and credits KES 14,000.00 differ by KES 1,000.00"):
        money.submit_journal("water", today, "Accrue rent", [("6100", "15000", ""), ("2000", "", "14000")],
                             user=accountant)
    with pytest.raises(money.MoneyError, match="Line 2 .*debit or a credit, not both"):
        money.submit_journal("water", today, "x", [("6100", "5", ""), ("2000", "5", "5")], user=accountant)
    with pytest.raises(money.MoneyError, match="Line 1: Water .* has no account 9999"):
        money.submit_journal("water", today, "x", [("9999", "5", ""), ("2000", "", "5")], user=accountant)
    with pytest.raises(money.MoneyError, match="at least two lines"):
        money.submit_journal("water", today, "x", [("6100", "5", "")], user=accountant)
    journal = money.submit_journal("water", today, "Accrue rent", [("6100 Rent", "9000", ""), ("2000", "", "9000")],
                                   user=accountant)
    assert journal.status == Status.POSTED  # below the owner's KES 10,000 limit
    assert lines_of(journal.entry) == [(chart.RENT, Decimal("9000.00"), 0), (chart.PAYABLES, 0, Decimal("9000.00"))]
    assert journal.entry.created_by == accountant and journal.entry.source_id == str(journal.pk)


def test_a_big_journal_waits_for_the_owner_and_is_corrected_by_reversal(demo):
    today = timezone.localdate()
    journal = money.submit_journal("shop", today, "Reclassify stock loss",
                                   [("5100", "12000", ""), ("1200", "", "12000")], user=user("accountant"))
    assert journal.status == Status.PENDING and not JournalEntry.objects.exists()
    approvals.approve(approvals.pending_for(journal), user("owner"))
    journal.refresh_from_db()
    assert journal.status == Status.POSTED and journal.entry.created_by == user("owner")
    money.reverse_journal(journal, user=user("accountant"))
    journal.refresh_from_db()
    assert journal.status == Status.REVERSED
    assert balance("shop", chart.STOCK_LOSSES) == 0 and JournalEntry.objects.count() == 2


def test_staff_cannot_write_journals(demo):
    with pytest.raises(PermissionDenied):
        money.submit_journal("water", timezone.localdate(), "x", [("6100", "5", ""), ("2000", "", "5")],
                             user=user("water_staff"))


# --- opening balances -----------------------------------------------------------------------------

def test_opening_balances_post_one_entry_with_the_difference_to_equity(demo):
    as_of = timezone.localdate() - timedelta(days=1)
    opening = openings.post_opening_balances("water", as_of, {
        chart.CASH: "3,500", chart.BANK: "120000", chart.RECEIVABLES: "2500", chart.PAYABLES: "40000",
        chart.VAT_PAYABLE: "", chart.INVENTORY: "0"}, user=user("owner"))
    assert sorted(lines_of(opening.entry)) == sorted([
        (chart.CASH, Decimal("3500.00"), 0), (chart.BANK, Decimal("120000.00"), 0),
        (chart.RECEIVABLES, Decimal("2500.00"), 0), (chart.PAYABLES, 0, Decimal("40000.00")),
        (chart.OWNER_EQUITY, 0, Decimal("86000.00"))])
    assert opening.entry.date == as_of
    # again, with the bank overdrawn: the first entry is reversed, never edited
    again = openings.post_opening_balances("water", as_of, {chart.CASH: "3500", chart.BANK: "-2000"}, user=user("owner"))
    assert OpeningBalances.objects.get(pk=opening.pk).status == Status.REVERSED
    assert balance("water", chart.BANK) == -2000 and balance("water", chart.CASH) == 3500
    assert balance("water", chart.OWNER_EQUITY) == 1500 and openings.current_opening(business("water")) == {
        chart.CASH: Decimal("3500.00"), chart.BANK: Decimal("-2000.00")}
    assert again.entry.number > opening.entry.number
    with pytest.raises(money.MoneyError, match="Cash cannot start below zero"):
        openings.post_opening_balances("water", as_of, {chart.CASH: "-1"}, user=user("owner"))
    Account.objects.filter(business__code="water", code=chart.BANK).update(is_active=False)
    with pytest.raises(money.MoneyError, match="Account 1020 Bank is closed"):  # the dry run and the post agree
        openings.opening_lines("water", {chart.CASH: "3500", chart.BANK: "10"})



def test_opening_balances_from_a_csv_are_checked_first_and_posted_only_from_the_filled_form(login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    owner, url = login("owner"), reverse("admin:money:opening")
    entries_before = JournalEntry.objects.count()
    equity_before, bank_before = balance("water", chart.OWNER_EQUITY), balance("water", chart.BANK)
    template = owner.get(url, {"business": "water", "format": "csv"})
    assert template.status_code == 200 and template["Content-Type"].startswith("text/csv")
    lines = template.content.decode().splitlines()
    assert lines[0] == "code,name,balance" and "1000,Cash," in lines[1:] and not any(
        line.startswith(chart.OWNER_EQUITY) for line in lines)

    def check(text, name="balances.csv"):
        return owner.post(url, {"business": "water", "as_of": "2026-10-31",
                                "csv": SimpleUploadedFile(name, text if isinstance(text, bytes) else text.encode())})

    # the downloaded file, filled in (a spreadsheet's BOM and thousands separators included)
    checked = check("\ufeffcode,name,balance\r\n1000,Cash,3500\r\n1020,Bank,\"120,000\"\r\n"
                    "2000,Payables,40000\r\n1200,Inventory,\r\n")
    assert checked.status_code == 200
    assert checked.context["preview"] == [
        (chart.CASH, "Cash", Decimal("3500"), 0), (chart.BANK, "Bank", Decimal("120000"), 0),
        (chart.PAYABLES, "Payables", 0, Decimal("40000")), (chart.OWNER_EQUITY, "Owner's equity", 0, Decimal("83500"))]
    page = checked.content.decode()
    assert "nothing is posted yet" in page and 'name="balance_1020" inputmode="decimal" value="120,000"' in page
    assert JournalEntry.objects.count() == entries_before and not OpeningBalances.objects.exists()

    for text, reason in [
        ("code,balance\n1000,3500\n1000,10\n", "Row 3: account 1000 is in the file twice."),
        ("code,balance\n9999,5\n1020,lots\n", f"{business('water').name} has no account 9999."),
        ("account;amount\n1000;5\n", "a header row with the columns code and balance"),
        ("code,balance\n1000,3500\n".encode("utf-16"), "not a UTF-8 CSV"),
        ("code,balance\n1000,-5\n", "Cash cannot start below zero."),
    ]:
        refused = check(text)
        assert refused.status_code == 400 and reason in refused.content.decode(), (reason, refused.content[:3000])
    assert JournalEntry.objects.count() == entries_before

    posted = owner.post(url, {"business": "water", "as_of": "2026-10-31", "balance_1000": "3500",
                              "balance_1020": "120,000", "balance_2000": "40000"})
    assert posted.status_code == 302
    assert balance("water", chart.OWNER_EQUITY) - equity_before == Decimal("83500.00")
    assert balance("water", chart.BANK) - bank_before == Decimal("120000.00")
    again = owner.get(url, {"business": "water", "format": "csv"}).content.decode().splitlines()
    assert "1020,Bank,120000.00" in again  # the template carries the posted balances, ready to correct

# --- expense categories ---------------------------------------------------------------------------

def test_the_owner_adds_expense_categories_that_the_pnl_shows_line_by_line(demo):
    today = timezone.localdate()
    security = chart.add_expense_category("Security", [business("water"), business("shop")])
    assert {a.business.code for a in security} == {"water", "shop"} and len({a.code for a in security}) == 1
    again = chart.add_expense_category("security", [business("laundry")])
    assert again[0].code == security[0].code  # one name, one code across businesses
    owner_capital("water", "5000", today)
    money.move("water", "petty_cash", "700", category=category("water", "Security"), user=user("owner"))
    money.move("water", "petty_cash", "300", category=category("water", "Transport and fuel"), user=user("owner"))
    report = ledger.profit_and_loss("water", start=today, end=today)
    assert {(r["code"], r["name"], r["balance"]) for r in report["expenses"]} == {
        (security[0].code, "Security", Decimal("700.00")), (chart.TRANSPORT, "Transport and fuel", Decimal("300.00"))}
    with pytest.raises(Exception, match="Give the category a name"):
        chart.add_expense_category("  ", [business("water")])


# --- pages ----------------------------------------------------------------------------------------

def test_the_deposit_form_from_the_dashboard_widget(login):
    today = timezone.localdate()
    owner_capital("water", "1200", today)
    owner = login("owner")
    widget = owner.get(reverse("admin:widget", args=["money.tills"]))
    bank_it = reverse("admin:money:move") + "?kind=bank_deposit&business=water&amount=1200.00"
    assert widget.status_code == 200 and bank_it in widget.content.decode()
    form = owner.get(reverse("admin:money:move"), {"kind": "bank_deposit", "business": "water", "amount": "1200.00"})
    assert form.status_code == 200 and 'value="1200.00"' in form.content.decode()
    saved = owner.post(reverse("admin:money:move") + "?kind=bank_deposit",
                       {"kind": "bank_deposit", "business": "water", "amount": "1200.00"})
    movement = Movement.objects.get()
    assert saved.status_code == 302 and saved.url == reverse("admin:money:movement", args=[movement.pk])
    page = owner.get(saved.url)
    assert page.status_code == 200 and f'data-entry="{movement.entry.number}"' in page.content.decode()


def test_bad_input_on_the_forms_answers_400_with_the_reason_and_another_business_403(login):
    staff = login("water_staff")
    refused = staff.post(reverse("admin:money:move"), {"kind": "bank_deposit", "business": "water", "amount": "lots"})
    assert refused.status_code == 400 and "Write the amount as a number" in refused.content.decode()
    assert staff.post(reverse("admin:money:move"), {"kind": "bank_deposit", "business": "shop",
                                                    "amount": "5"}).status_code == 403
    assert staff.get(reverse("admin:money:move"), {"business": "shop"}).status_code == 403
    assert staff.get(reverse("admin:money:journal")).status_code == 403
    accountant = login("accountant")
    assert accountant.get(reverse("admin:money:move")).status_code == 403
    unbalanced = accountant.post(reverse("admin:money:journal"), {
        "business": "water", "day": timezone.localdate().isoformat(), "memo": "x",
        "account_0": "6100", "debit_0": "10", "account_1": "2000", "credit_1": "9"})
    assert unbalanced.status_code == 400 and "differ by KES 1.00" in unbalanced.content.decode()
    kept = unbalanced.content.decode()  # nothing typed is lost
    assert '<option value="6100" selected>' in kept and 'name="debit_0"' in kept and 'value="10"' in kept
    assert '<option value="2000" selected>' in kept and 'value="9"' in kept and 'value="x"' in kept
    assert accountant.post(reverse("admin:money:opening"), {"business": "water"}).status_code == 403
    owner = login("owner")
    assert owner.post(reverse("admin:money:opening"), {"business": "water", "as_of": "yesterday"}).status_code == 400
    assert owner.post(reverse("admin:money:limits"), {"movement_threshold": "-1",
                                                      "journal_threshold": "5"}).status_code == 400
    assert owner.post(reverse("admin:money:categories"), {"name": "", "businesses": ["water"]}).status_code == 400


def test_the_journal_form_and_the_list_of_journals_each_open(login):
    accountant = login("accountant")
    form = accountant.get(reverse("admin:money:journal"))
    assert form.status_code == 200
    assert f'name="day" required value="{timezone.localdate().isoformat()}"' in form.content.decode()
    money.submit_journal("water", timezone.localdate(), "Accrued rent", [("6100", "500", ""), ("2000", "", "500")],
                         user=user("accountant"))
    listing = accountant.get(reverse("admin:money_journal_changelist"))
    assert listing.status_code == 200 and "Accrued rent" in listing.content.decode()


def test_the_approver_sees_what_the_movement_is(login):
    owner_capital("water", "9000", timezone.localdate())
    waiting = money.move("water", "bank_deposit", "8000", reference="slip 7", user=user("water_staff"))
    page = login("owner").get(reverse("admin:approvals:decide", args=[approvals.pending_for(waiting).pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Bank the cash" in content and "slip 7" in content and "KES 8,000.00" in content
