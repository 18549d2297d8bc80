"""The ledger: balanced, append-only and tamper-evident, enforced by PostgreSQL itself."""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from modules.core.businesses.models import Business
from modules.core.ledger import anchors, chain, chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, ChainLink, JournalEntry, JournalLine, LockDate, SettingChange
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
def test_a_posted_entry_is_sealed_balanced_and_chained_by_the_follower(demo):
    first = owner_capital("water", "5000", TODAY)
    second = cash_sale("water", "116", TODAY)
    assert second.number > first.number and len(second.seal) == 64
    assert not ChainLink.objects.exists()  # posting takes no chain lock: the follower links after commit
    assert chain.extend().linked == 2
    links = list(ChainLink.objects.order_by("seq").values_list("seq", "entry_id", "link"))
    assert [(seq, entry) for seq, entry, _ in links] == [(1, first.pk), (2, second.pk)]
    assert links[1][2] == chain.link_hash(links[0][2], 2, second.number, second.seal)
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
    ([ledger.debit(chart.CASH, "1e30"), ledger.credit(chart.SALES, "1e30")], "not an amount the books can hold"),
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
    assert cash_sale("water", "116", TODAY + timedelta(days=1)).number > sale.number
    assert cash_sale("shop", "116", TODAY).business.code == "shop"  # other businesses keep their own lock


# --- PostgreSQL enforcement, proved with raw SQL ---------------------------------------------

def raw_entry(cursor, business_id, number, memo="raw"):
    cursor.execute(
        "INSERT INTO ledger_journalentry (business_id, number, date, memo, source_id, posted_at, seal)"
        " VALUES (%s, %s, '2026-11-20', %s, '', now(), md5(random()::text)) RETURNING id",
        [business_id, number, memo])
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


def superuser_sql(*statements):
    """What someone holding the database can do: triggers (and foreign keys) switched off."""
    with db_roles.connect("superuser") as superuser, superuser.transaction():
        superuser.execute("SET LOCAL session_replication_role = replica")
        for sql, params in statements:
            superuser.execute(sql, params)


def five_entries():
    entries = [owner_capital("water", "1000", TODAY)] + [cash_sale("water", f"{116 * (n + 1)}", TODAY) for n in range(4)]
    chain.extend()
    return entries


@pytest.mark.django_db(transaction=True)
def test_verify_ledger_names_the_entry_a_superuser_tampered_with(capsys):
    seed(PASSWORD, opening_stock=False)
    entries = five_entries()
    call_command("verify_ledger")
    assert "5 entries verified" in capsys.readouterr().out
    victim = entries[2]
    superuser_sql(("UPDATE ledger_journalline SET debit = debit * 10 WHERE entry_id = %s AND debit > 0", [victim.pk]),
                  ("UPDATE ledger_journalline SET credit = credit * 10 WHERE entry_id = %s AND credit > 0", [victim.pk]))
    with pytest.raises(CommandError, match=rf"entry #{victim.number} \(id {victim.pk}.*changed after it was posted"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_verify_ledger_notices_a_deleted_entry():
    seed(PASSWORD, opening_stock=False)
    entries = five_entries()
    superuser_sql(("DELETE FROM ledger_journalline WHERE entry_id = %s", [entries[1].pk]),
                  ("DELETE FROM ledger_journalentry WHERE id = %s", [entries[1].pk]))
    with pytest.raises(CommandError, match=rf"entry id {entries[1].pk} \(chain link 2\) was deleted"):
        call_command("verify_ledger")
    superuser_sql(("DELETE FROM ledger_chainlink WHERE seq = 2", []))  # and its link: the chain has a hole
    with pytest.raises(CommandError, match="chain link 2 is missing"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_deleting_the_newest_entries_is_caught_by_the_anchor_outside_the_database(ledger_anchors):
    seed(PASSWORD, opening_stock=False)
    entries = five_entries()  # the follower wrote the signed head: link 5
    assert anchors.read(ledger_anchors / "head.json").seq == 5
    newest = entries[-1]
    superuser_sql(("DELETE FROM ledger_chainlink WHERE entry_id = %s", [newest.pk]),
                  ("DELETE FROM ledger_journalline WHERE entry_id = %s", [newest.pk]),
                  ("DELETE FROM ledger_journalentry WHERE id = %s", [newest.pk]))
    # what is left is a perfect chain of 4 links: only the anchor knows better
    with pytest.raises(CommandError, match="the chain ends at link 4, but anchor head.json .* reached link 5: "
                                           "the newest entries were deleted"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_a_chain_re_hashed_without_the_key_is_caught(settings, ledger_anchors):
    """The database owner edits an entry and redoes every seal and link with a key of their own
    (the old chain had no key: plain SHA-256 redone this way verified)."""
    seed(PASSWORD, opening_stock=False)
    entries = five_entries()
    victim = entries[1]
    superuser_sql(("UPDATE ledger_journalline SET debit = 1 WHERE entry_id = %s AND debit > 0", [victim.pk]),
                  ("UPDATE ledger_journalline SET credit = 1 WHERE entry_id = %s AND credit > 0 "
                   "AND id = (SELECT min(id) FROM ledger_journalline WHERE entry_id = %s AND credit > 0)",
                   [victim.pk, victim.pk]),
                  ("DELETE FROM ledger_journalline WHERE entry_id = %s AND credit > 1", [victim.pk]))
    settings.LEDGER_KEY = "the-database-owner-guessed-this-key-0123456789"
    forged = {}
    previous = chain.GENESIS
    for entry in JournalEntry.objects.order_by("link__seq"):
        entry = JournalEntry.objects.select_related("business", "reversal_of", "source_type").get(pk=entry.pk)
        forged[entry.pk] = chain.seal_of(entry)
        previous = chain.link_hash(previous, entry.link.seq, entry.number, forged[entry.pk])
        superuser_sql(("UPDATE ledger_journalentry SET seal = %s WHERE id = %s", [forged[entry.pk], entry.pk]),
                      ("UPDATE ledger_chainlink SET entry_seal = %s, link = %s WHERE entry_id = %s",
                       [forged[entry.pk], previous, entry.pk]))
    for path in ledger_anchors.iterdir():  # and the anchors they can reach, re-signed with their key
        anchors._write(path, {**{k: v for k, v in __import__("json").loads(path.read_text()).items()
                                 if k != "signature"}, "head": previous})
    settings.LEDGER_KEY = "test-ledger-key-not-secret-0123456789abcdef"
    with pytest.raises(CommandError) as refused:
        call_command("verify_ledger")
    report = str(refused.value)
    assert f"entry #{victim.number} (id {victim.pk}" in report and "changed after it was posted" in report
    assert "anchor head.json is not signed with the ledger's key" in report


@pytest.mark.django_db(transaction=True)
def test_an_entry_inserted_without_the_key_is_never_chained_and_named():
    """The app role may INSERT ledger rows; without the key its entry cannot carry a valid seal."""
    seed(PASSWORD, opening_stock=False)
    five_entries()
    cash = Account.objects.get(business__code="water", code=chart.CASH)
    drawings = Account.objects.get(business__code="water", code=chart.OWNER_DRAWINGS)
    with transaction.atomic(), connection.cursor() as cursor:
        forged = raw_entry(cursor, cash.business_id, 10_000_000, memo="Owner took cash")
        raw_line(cursor, forged, drawings, "300.00", "0")
        raw_line(cursor, forged, cash, "0", "300.00")
    result = chain.extend()
    assert [e.pk for e in result.refused] == [forged] and result.linked == 0
    with pytest.raises(CommandError, match="entry #10000000 .*its seal is wrong: it was written without the ledger's key"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_swapping_two_entries_numbers_is_caught():
    seed(PASSWORD, opening_stock=False)
    entries = five_entries()
    a, b = entries[1], entries[3]
    superuser_sql(("UPDATE ledger_journalentry SET number = number + 1000000000 WHERE id IN (%s, %s)", [a.pk, b.pk]),
                  ("UPDATE ledger_journalentry SET number = %s WHERE id = %s", [b.number, a.pk]),
                  ("UPDATE ledger_journalentry SET number = %s WHERE id = %s", [a.number, b.pk]))
    with pytest.raises(CommandError, match=rf"entry #{b.number} \(id {a.pk}.*changed after it was posted"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_an_accounts_meaning_is_refused_to_the_app_and_caught_when_forced():
    seed(PASSWORD, opening_stock=False)
    five_entries()
    with db_roles.connect("app") as app:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="business, code and kind cannot change"):
            app.execute("UPDATE ledger_account SET kind = 'liability' WHERE code = %s", [chart.SALES])
    call_command("verify_ledger")
    superuser_sql(("UPDATE ledger_account SET kind = 'liability' WHERE code = %s", [chart.SALES]))
    with pytest.raises(CommandError) as refused:
        call_command("verify_ledger")
    assert "account 4000 Sales (water) was changed outside the app" in str(refused.value)
    assert "changed after it was posted" in str(refused.value)  # and every sale's lines name the kind
    superuser_sql(("UPDATE ledger_account SET kind = 'revenue', allow_negative = true WHERE code = %s", [chart.CASH]))
    with pytest.raises(CommandError, match="account 1000 Cash \\(water\\) was changed outside the app"):
        call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_a_forged_or_stale_anchor_is_named(tmp_path):
    seed(PASSWORD, opening_stock=False)
    five_entries()
    good = anchors.write_checkpoint(tmp_path / "kept-by-the-owner.json")
    call_command("verify_ledger", anchor=[str(good)])
    document = __import__("json").loads(good.read_text())
    document["seq"] = 4
    (tmp_path / "edited.json").write_text(__import__("json").dumps(document))
    with pytest.raises(CommandError, match="anchor edited.json is not signed with the ledger's key"):
        call_command("verify_ledger", anchor=[str(tmp_path / "edited.json")])


@pytest.mark.django_db(transaction=True)
def test_concurrent_posting_keeps_one_unbroken_chain():
    seed(PASSWORD, opening_stock=False)
    owner_capital("water", "100", TODAY)
    errors = []

    def poster(code):
        try:
            for _ in range(10):
                cash_sale(code, "116", TODAY)
            chain.extend()  # followers race too: one links, the others skip
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
    numbers = list(JournalEntry.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 91
    chain.extend()
    assert list(ChainLink.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 92))
    call_command("verify_ledger")


@pytest.mark.django_db(transaction=True)
def test_postings_in_other_businesses_do_not_wait_for_an_open_transaction():
    """The old ledger held one global lock from a post until COMMIT: every business waited."""
    seed(PASSWORD, opening_stock=False)
    owner_capital("shop", "100", TODAY)
    posted, release = threading.Event(), threading.Event()

    def slow_seller():
        try:
            with transaction.atomic():
                ledger.post("water", TODAY, "Sale, receipt still printing",
                            [ledger.debit(chart.RECEIVABLES, "50"), ledger.credit(chart.SALES, "50")])
                posted.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_seller)
    thread.start()
    try:
        assert posted.wait(10)
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            cash_sale("shop", "116", TODAY)  # and money out of another business's cash:
            ledger.post("shop", TODAY, "Float out", [ledger.debit(chart.BANK, "50"), ledger.credit(chart.CASH, "50")])
        assert time.monotonic() - started < 2
    finally:
        release.set()
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_two_tills_emptied_at_once_never_take_cash_below_zero():
    """Money out of cash locks that one account: of two concurrent withdrawals of 80 from 100, one is refused."""
    seed(PASSWORD, opening_stock=False)
    owner_capital("water", "100", TODAY)
    barrier, outcomes = threading.Barrier(2), []

    def withdraw():
        try:
            with transaction.atomic():
                barrier.wait(5)
                ledger.post("water", TODAY, "Banked", [ledger.debit(chart.BANK, "80"), ledger.credit(chart.CASH, "80")])
                time.sleep(0.3)  # hold the lock a while: the other must wait, then see our 80 gone
            outcomes.append("posted")
        except ledger.LedgerError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["Cash would go below zero: it holds KES 20.00, this takes out KES 80.00", "posted"]


@pytest.mark.django_db
def test_a_posting_costs_three_queries(demo, django_assert_max_num_queries):
    owner_capital("water", "100", TODAY)
    water = Business.objects.get(code="water")
    with transaction.atomic(), django_assert_max_num_queries(3):
        ledger.post(water, TODAY, "Sale", [ledger.debit(chart.RECEIVABLES, "116"), ledger.credit(chart.SALES, "100"),
                                          ledger.credit(chart.VAT_PAYABLE, "16")])
    with transaction.atomic(), django_assert_max_num_queries(5):  # money out of cash: its lock and balance
        ledger.post(water, TODAY, "Banked", [ledger.debit(chart.BANK, "50"), ledger.credit(chart.CASH, "50")])


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



@pytest.mark.django_db(transaction=True)
def test_lock_dates_and_accounts_keep_a_history_the_app_login_cannot_skip_or_erase():
    seed(PASSWORD, opening_stock=False)
    water = Business.objects.get(code="water")
    LockDate.objects.create(business=water, locked_through=date(2026, 10, 31))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        django_login = cursor.fetchone()[0]  # the app role itself (tests/db_roles.py)
    with db_roles.connect("app") as app:  # someone with the app's database login, past the admin
        app.execute("UPDATE ledger_lockdate SET locked_through = '2026-09-30' WHERE business_id = %s", [water.pk])
        app.execute("UPDATE ledger_account SET allow_negative = true WHERE business_id = %s AND code = %s",
                    [water.pk, chart.CASH])
        app.execute("UPDATE ledger_account SET name = name WHERE business_id = %s", [water.pk])  # no change
        for sql in ["DELETE FROM ledger_settingchange", "UPDATE ledger_settingchange SET after = before",
                    "TRUNCATE ledger_settingchange"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
    history = list(SettingChange.objects.order_by("id"))
    assert [(h.what, h.business.code, h.db_role) for h in history] == [
        ("lock date", "water", django_login), ("lock date", "water", "biashara_app"),
        ("account", "water", "biashara_app")]
    assert "locked_through 2026-10-31" in history[0].summary()
    assert history[1].summary() == "locked_through: 2026-10-31 → 2026-09-30"
    assert history[2].summary() == "allow_negative: False → True"
    assert history[2].record_id == Account.objects.get(business=water, code=chart.CASH).pk


@pytest.mark.django_db
def test_only_the_owner_moves_a_lock_date_and_the_history_shows_it(login):
    water = Business.objects.get(code="water")
    lock = LockDate.objects.create(business=water, locked_through=date(2026, 10, 31))
    change = reverse("admin:ledger_lockdate_change", args=[lock.pk])
    form = {"business": water.pk, "locked_through": "2026-11-15"}
    for username in ("accountant", "water_staff"):
        assert login(username).post(change, form).status_code == 403
    assert login("owner").post(change, form).status_code == 302
    lock.refresh_from_db()
    assert lock.locked_through == date(2026, 11, 15) and lock.updated_by.username == "owner"
    page = login("accountant").get(reverse("admin:ledger_settingchange_changelist"))
    assert page.status_code == 200
    assert "locked_through: 2026-10-31 → 2026-11-15" in page.content.decode()
    assert login("water_staff").get(reverse("admin:ledger_settingchange_changelist")).status_code == 403

@pytest.mark.django_db(transaction=True)
def test_the_nightly_job_checkpoints_mails_the_owner_and_a_failure_notifies_them(ledger_anchors, mailoutbox):
    from django.contrib.auth.models import User

    from modules.core.ledger import jobs
    from modules.core.notifications.models import Notification

    seed(PASSWORD, opening_stock=False)
    User.objects.filter(username="owner").update(email="wanjiru@example.co.ke")
    entries = five_entries()
    assert "5 entries verified" in jobs.nightly()
    [checkpoint] = ledger_anchors.glob("checkpoint-*.json")
    anchor = anchors.read(checkpoint)
    assert anchor.valid_signature and anchor.seq == 5
    [mail] = mailoutbox
    assert mail.to == ["wanjiru@example.co.ke"] and mail.attachments[0][0] == checkpoint.name
    document = __import__("json").loads(checkpoint.read_text())
    assert document["businesses"]["water"] == {"entries": 5, "debits": "2160.00", "credits": "2160.00"}

    superuser_sql(("UPDATE ledger_journalentry SET memo = 'Cash sale (nothing to see)' WHERE id = %s",
                   [entries[3].pk]))
    with pytest.raises(RuntimeError, match=rf"entry #{entries[3].number} .*changed after it was posted"):
        jobs.nightly()
    [alert] = Notification.objects.filter(kind="ledger.alert")
    assert alert.recipient.username == "owner" and f"entry #{entries[3].number}" in alert.message
