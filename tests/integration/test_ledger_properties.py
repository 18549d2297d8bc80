"""A hypothesis state machine drives the ledger through 1,000+ random operations (sales, refunds,
expenses, deposits, deposit refunds, reversals) and checks the books after every one."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account

BUSINESSES = ["water", "laundry", "shop"]
DAY = date(2026, 11, 20)
amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("5000.00"), places=2)
operations = []  # one item per operation tried: "posted" or "refused"


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.expected = defaultdict(Decimal)  # (business, code) -> balance on the normal side
        self.entries = []  # (entry, {(business, code): normal-side change})
        self.debit_normal = {code: kind in Account.DEBIT_NORMAL for code, kind in
                             Account.objects.filter(business__code="water").values_list("code", "kind")}

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def _post(self, business, memo, lines):
        changes = defaultdict(Decimal)
        for line in lines:
            sign = 1 if self.debit_normal[line.account] else -1
            changes[(business, line.account)] += sign * (line.debit - line.credit)
        cash_after = self.expected[(business, chart.CASH)] + changes[(business, chart.CASH)]
        try:
            with transaction.atomic():
                entry = ledger.post(business, DAY, memo, lines)
        except ledger.LedgerError:
            assert cash_after < 0, "the ledger refused a posting that keeps cash at or above zero"
            operations.append("refused")
            return
        assert cash_after >= 0, "the ledger let cash go below zero"
        for key, change in changes.items():
            self.expected[key] += change
        self.entries.append((entry, changes))
        operations.append("posted")

    @rule(business=st.sampled_from(BUSINESSES), amount=amounts, till=st.sampled_from([chart.CASH, chart.MPESA]))
    def sale(self, business, amount, till):
        net = (amount / Decimal("1.16")).quantize(Decimal("0.01"))
        self._post(business, "Sale", [ledger.debit(till, amount), ledger.credit(chart.SALES, net),
                                      ledger.credit(chart.VAT_PAYABLE, amount - net)])

    @rule(business=st.sampled_from(BUSINESSES), amount=amounts)
    def expense(self, business, amount):
        self._post(business, "Expense", [ledger.debit(chart.OPERATING_EXPENSES, amount),
                                         ledger.credit(chart.CASH, amount)])

    @rule(business=st.sampled_from(BUSINESSES), amount=amounts)
    def deposit(self, business, amount):
        self._post(business, "Bottle deposit", [ledger.debit(chart.CASH, amount),
                                                ledger.credit(chart.CUSTOMER_DEPOSITS, amount)])

    @rule(business=st.sampled_from(BUSINESSES), amount=amounts)
    def deposit_refund(self, business, amount):
        self._post(business, "Deposit refund", [ledger.debit(chart.CUSTOMER_DEPOSITS, amount),
                                                ledger.credit(chart.CASH, amount)])

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), kind=st.sampled_from(["refund", "reversal"]))
    def reverse(self, data, kind):
        """A refund reverses a sale; a reversal reverses anything. Each entry at most once."""
        candidates = [(e, c) for e, c in self.entries if not e.reversal_of_id and not hasattr(e, "_reversed")
                      and (kind == "reversal" or e.memo == "Sale")]
        if not candidates:
            return
        entry, changes = data.draw(st.sampled_from(candidates))
        business = entry.business.code
        cash_after = self.expected[(business, chart.CASH)] - changes.get((business, chart.CASH), 0)
        try:
            reversal = ledger.reverse(entry, on=DAY)
        except ledger.LedgerError:
            assert cash_after < 0
            operations.append("refused")
            return
        assert cash_after >= 0
        entry._reversed = True
        for key, change in changes.items():
            self.expected[key] -= change
        self.entries.append((reversal, {k: -v for k, v in changes.items()}))
        operations.append("posted")

    @invariant()
    def books_balance(self):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fire PostgreSQL's deferred balance checks now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        totals = ledger.totals()
        assert totals["debit"] == totals["credit"]

    @invariant()
    def trial_balance_matches_every_line(self):
        for business in BUSINESSES:
            actual = {row["code"]: row["balance"] for row in ledger.trial_balance(business)}
            expected = {code: v for (b, code), v in self.expected.items() if b == business and v}
            assert {c: v for c, v in actual.items() if v} == expected
            assert actual.get(chart.CASH, 0) >= 0


@pytest.mark.django_db
def test_the_books_hold_through_a_thousand_random_operations(demo, capsys):
    operations.clear()
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=40, stateful_step_count=50, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    assert len(operations) >= 1000, f"only {len(operations)} operations ran"
    assert operations.count("posted") > operations.count("refused") > 0
    with capsys.disabled():
        print(f"\n[ledger properties] {len(operations)} operations: {operations.count('posted')} posted, "
              f"{operations.count('refused')} refused (cash would go negative)")
