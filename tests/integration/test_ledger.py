"""The ledger: balanced, append-only and tamper-evident, enforced by PostgreSQL itself."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from modules.core.businesses.models import Business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry, JournalLine, LockDate
from fixtures.demo import seed
from tests import db_roles
from tests.conftest import PASSWORD
from tests.ledger_helpers import cash_sale, owner_capital

TODAY = date(2026, 11, 20)


def connect_as(role):
    """A raw connection to the test database as another PostgreSQL role (trust auth here)."""
    params = psycopg.conninfo.conninfo_to_dict(db_roles.url("superuser"))
    return psycopg.connect(**{**params, "user": role, "password": None}, autocommit=True)


@pytest.mark.django_db
def test_every_business_gets_the_chart_of_accounts(demo):
    for business in Business.objects.all():
        codes = set(Account.objects.filter(business=business).values_list("code", flat=True))
        assert {spec.code for spec in chart.TEMPLATE} <= codes
    assert not Account.objects.get(business__code="water", code=chart.CASH).allow_negative


@pytest.mark.django_db
def test_a_posted_entry_is_chained_and_balanced(demo):
    first = owner_capital("water", "5000", TODAY)
    second = cash_sale("water", "116", TODAY)
    assert (first.number, second.number) == (1, 2)
    assert second.previous_hash == first.hash and len(second.hash) == 64
    assert [(l.account.code, l.debit, l.credit) for l in second.lines.select_related("account")] == [
        (chart.CASH, Decimal("116.00"), Decimal("0")),
        (chart.SALES, Decimal("0"), Decimal("100.00")),
        (chart.VAT_PAYABLE, Decimal("0"), Decimal("16.00")),
    ]
    assert ledger.totals() == {"debit": Decimal("5116.00"), "credit": Decimal("5116.00")}


@pytest.mark.django_db
@pytest.mark.parametrize("lines, message", [
    ([ledger.debit(chart.CASH, "10"), ledger.credit(chart.SALES, "9")], "must be equal"),
    ([ledger.debit(chart.CASH, "10")], "at least two lines"),
    ([ledger.debit(chart.CASH, "10.001"), ledger.credit(chart.SALES, "10.001")], "two decimal places"),
    ([ledger.Line(chart.CASH, Decimal("5"), Decimal("5")), ledger.credit(chart.SALES, "0")], "not both"),
    ([ledger.debit("9999", "10"), ledger.credit(chart.SALES, "10")], "has no account 9999"),
])
def test_bad_postings_are_refused_with_a_clear_message(demo, lines, message):
    owner_capital("water", "100", TODAY)
    with pytest.raises(ledger.LedgerError, match=message), transaction.atomic():
        ledger.post("water", TODAY, "bad", lines)


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_refused():
    seed(PASSWORD, opening_stock=False)
    with pytest.raises(ledger.LedgerError, match="inside the caller's transaction"):
        ledger.post("water", TODAY, "x", [ledger.debit(chart.OWNER_DRAWINGS, 1), ledger.credit(chart.BANK, 1)])
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db
def test_cash_never_goes_negative(demo):
    owner_capital("water", "100", TODAY)
    with pytest.raises(ledger.LedgerError, match="Cash would go below zero: it holds KES 100.00"), \
            transaction.atomic():
        ledger.post("water", TODAY, "Rent", [ledger.debit(chart.OPERATING_EXPENSES, "150"),
                                            ledger.credit(chart.CASH, "150")])
    with transaction.atomic():  # the bank may go overdrawn: allowed
        ledger.post("water", TODAY, "Rent by bank", [ledger.debit(chart.OPERATING_EXPENSES, "150"),
                                                    ledger.credit(chart.BANK, "150")])


@pytest.mark.django_db
def test_a_reversal_is_a_new_entry_linked_to_the_untouched_original(demo):
    sale = cash_sale("water", "232", TODAY)
    original = list(sale.lines.values_list("account__code", "debit", "credit"))
    reversal = ledger.reverse(sale, on=TODAY + timedelta(days=3))
    assert reversal.reversal_of == sale and reversal.date == TODAY + timedelta(days=3)
    assert list(sale.lines.values_list("account__code", "debit", "credit")) == original
    assert [(c, cr, dr) for c, dr, cr in original] == list(reversal.lines.values_list("account__code", "debit", "credit"))
    assert ledger.balance(Account.objects.get(business__code="water", code=chart.CASH)) == 0
    with pytest.raises(ledger.LedgerError, match="already been reversed"):
        ledger.reverse(sale)
    with pytest.raises(ledger.LedgerError, match="itself a reversal"):
        ledger.reverse(reversal)


@pytest.mark.django_db
def test_nothing_is_posted_on_or_before_the_lock_date(demo):
    sale = cash_sale("water", "116", TODAY)
    LockDate.objects.create(business=Business.objects.get(code="water"), locked_through=TODAY)
    with pytest.raises(ledger.LedgerError, match="locked through 20 Nov 2026"):
        cash_sale("water", "116", TODAY)
    with pytest.raises(ledger.LedgerError, match="locked through"):
        ledger.reverse(sale, on=TODAY)
    assert cash_sale("water", "116", TODAY + timedelta(days=1)).number == 2
    assert cash_sale("shop", "116", TODAY).number == 3  # other businesses keep their own lock


# --- PostgreSQL enforcement, proved with raw SQL ---------------------------------------------

def raw_entry(cursor, business_id, number, memo="raw"):
    cursor.execute(
        "INSERT INTO ledger_journalentry (business_id, number, date, memo, source_id, posted_at, previous_hash, hash)"
        " VALUES (%s, %s, '2026-11-20', %s, '', now(), %s, md5(random()::text)) RETURNING id",
        [business_id, number, memo, "0" * 64])
    return cursor.fetchone()[0]


def raw_line(cursor, entry_id, account, debit, credit):
    cursor.execute("INSERT INTO ledger_journalline (entry_id, account_id, business_id, debit, credit)"
                   " VALUES (%s, %s, %s, %s, %s)", [entry_id, account.pk, account.business_id, debit, credit])


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_entry_is_rejected_at_commit():
    seed(PASSWORD, opening_stock=False)
    cash = Account.objects.get(business__code="water", code=chart.CASH)
    sales = Account.objects.get(business__code="water", code=chart.SALES)
    with pytest.raises(IntegrityError, match="unbalanced: debits 100.00 <> credits 99.99"):
        with transaction.atomic(), connection.cursor() as cursor:
            entry = raw_entry(cursor, cash.business_id, 1)
            raw_line(cursor, entry, cash, "100.00", "0")
            raw_line(cursor, entry, sales, "0", "99.99")
            # accepted so far: the check is deferred to COMMIT
    with pytest.raises(IntegrityError, match="needs at least two"):
        with transaction.atomic(), connection.cursor() as cursor:
            raw_entry(cursor, cash.business_id, 1)
    assert not JournalEntry.objects.exists() and not JournalLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_line_must_belong_to_its_accounts_business_and_be_one_sided():
    seed(PASSWORD, opening_stock=False)
    water_cash = Account.objects.get(business__code="water", code=chart.CASH)
    shop = Business.objects.get(code="shop")
    with pytest.raises(IntegrityError, match="ledger_line_account_business_match"):
        with transaction.atomic(), connection.cursor() as cursor:
            entry = raw_entry(cursor, shop.pk, 1)
            cursor.execute("INSERT INTO ledger_journalline (entry_id, account_id, business_id, debit, credit)"
                           " VALUES (%s, %s, %s, 5, 0)", [entry, water_cash.pk, shop.pk])
    with pytest.raises(IntegrityError, match="line_is_a_debit_or_a_credit"):
        with transaction.atomic(), connection.cursor() as cursor:
            entry = raw_entry(cursor, water_cash.business_id, 1)
            raw_line(cursor, entry, water_cash, "5", "5")


@pytest.mark.django_db(transaction=True)
def test_triggers_refuse_update_delete_and_truncate_even_with_privileges():
    seed(PASSWORD, opening_stock=False)
    owner_capital("water", "500", TODAY)
    with db_roles.connect("superuser") as superuser:
        if not superuser.execute("SELECT 1 FROM pg_roles WHERE rolname = 'ledger_probe'").fetchone():
            superuser.execute("CREATE ROLE ledger_probe LOGIN")
        superuser.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO ledger_probe")
    with connect_as("ledger_probe") as probe:
        for sql in ["UPDATE ledger_journalline SET debit = debit + 1",
                    "DELETE FROM ledger_journalline",
                    "UPDATE ledger_journalentry SET memo = 'changed'",
                    "DELETE FROM ledger_journalentry",
                    "TRUNCATE ledger_journalline CASCADE",
                    "TRUNCATE ledger_journalentry CASCADE"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                probe.execute(sql)
    assert JournalLine.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_app_role_may_only_select_and_insert_ledger_rows():
    seed(PASSWORD, opening_stock=False)
    owner_capital("water", "500", TODAY)
    with db_roles.connect("app") as app:
        assert app.execute("SELECT count(*) FROM ledger_journalline").fetchone() == (2,)
        for sql in ["UPDATE ledger_journalline SET debit = debit",
                    "DELETE FROM ledger_journalline",
                    "UPDATE ledger_journalentry SET memo = memo",
                    "DELETE FROM ledger_journalentry",
                    "TRUNCATE ledger_journalline",
                    "TRUNCATE ledger_journalentry"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                app.execute(sql)
        app.execute("UPDATE inventory_item SET is_active = is_active")  # ordinary tables stay writable
        for sql in ["CREATE TABLE owned_by_app (id int)", "ALTER TABLE ledger_journalline DISABLE TRIGGER USER"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)


@pytest.mark.django_db(transaction=True)
def test_verify_ledger_names_the_entry_a_superuser_tampered_with(capsys):
    seed(PASSWORD, opening_stock=False)
    owner_capital("water", "1000", TODAY)
    for n in range(4):
        cash_sale("water", f"{116 * (n + 1)}", TODAY)
    call_command("verify_ledger")
    assert "5 entries verified" in capsys.readouterr().out
    victim = JournalEntry.objects.get(number=3)
    with db_roles.connect("superuser") as superuser, superuser.transaction():
        superuser.execute("SET LOCAL session_replication_role = replica")  # superuser: triggers off
        superuser.execute("UPDATE ledger_journalline SET debit = debit * 10 WHERE entry_id = %s AND debit > 0",
                          [victim.pk])
        superuser.execute("UPDATE ledger_journalline SET credit = credit * 10 WHERE entry_id = %s AND credit > 0",
                          [victim.pk])
    with pytest.raises(CommandError, match=rf"broken at entry #3 \(id {victim.pk}.*content no longer matches"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_verify_ledger_notices_a_deleted_entry():
    seed(PASSWORD, opening_stock=False)
    owner_capital("water", "1000", TODAY)
    cash_sale("water", "116", TODAY)
    cash_sale("water", "232", TODAY)
    with db_roles.connect("superuser") as superuser, superuser.transaction():
        superuser.execute("SET LOCAL session_replication_role = replica")
        superuser.execute("DELETE FROM ledger_journalline WHERE entry_id = "
                          "(SELECT id FROM ledger_journalentry WHERE number = 2)")
        superuser.execute("DELETE FROM ledger_journalentry WHERE number = 2")
    with pytest.raises(CommandError, match="broken at entry #3.*missing"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_concurrent_posting_keeps_one_unbroken_chain():
    seed(PASSWORD, opening_stock=False)
    owner_capital("water", "100", TODAY)
    errors = []

    def poster(code):
        try:
            for _ in range(10):
                cash_sale(code, "116", TODAY)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=poster, args=(code,)) for code in ["water", "laundry", "shop"] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(JournalEntry.objects.order_by("number").values_list("number", flat=True)) == list(range(1, 92))
    call_command("verify_ledger")


# --- reports ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reports_in_the_admin(login):
    owner_capital("water", "1000", TODAY)
    cash_sale("water", "1160", TODAY)
    cash_sale("shop", "580", TODAY)
    with transaction.atomic():
        ledger.post("water", TODAY, "Rent", [ledger.debit(chart.OPERATING_EXPENSES, "300"),
                                             ledger.credit(chart.CASH, "300")])
    owner = login("owner")
    period = {"start": "2026-11-01", "end": "2026-11-30"}
    water_pl = owner.get(reverse("admin:ledger:profit_and_loss"), {**period, "business": "water"})
    assert water_pl.status_code == 200
    assert water_pl.context["report"]["profit"] == Decimal("700.00")  # 1000 net sales - 300 rent
    all_pl = owner.get(reverse("admin:ledger:profit_and_loss"), {**period, "business": ""})
    assert all_pl.context["report"]["profit"] == Decimal("1200.00")  # + shop's 500 net

    tb = owner.get(reverse("admin:ledger:trial_balance"), {"business": "", "end": "2026-11-30"})
    assert tb.context["total_debit"] == tb.context["total_credit"] == Decimal("2740.00")
    water_tb = owner.get(reverse("admin:ledger:trial_balance"), {"business": "water", "end": "2026-11-30"})
    cash_link = reverse("admin:ledger:account_ledger", args=[Account.objects.get(business__code="water", code=chart.CASH).pk])
    assert cash_link in water_tb.content.decode()

    cash = Account.objects.get(business__code="water", code=chart.CASH)
    ledger_page = owner.get(reverse("admin:ledger:account_ledger", args=[cash.pk]), period)
    assert [row["balance"] for row in ledger_page.context["ledger"]["rows"]] == [
        Decimal("1000.00"), Decimal("2160.00"), Decimal("1860.00")]

    assert login("accountant").get(reverse("admin:ledger:trial_balance")).status_code == 200
    staff = login("water_staff")
    assert staff.get(reverse("admin:ledger:trial_balance")).status_code == 403
    assert staff.get(reverse("admin:ledger:account_ledger", args=[cash.pk])).status_code == 403
