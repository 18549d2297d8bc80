from django.db.models import Sum

from modules.core.businesses.services import businesses_for
from modules.core.ledger import chart
from modules.core.ledger.models import JournalLine

CODES = (chart.CASH, chart.MPESA, chart.OWNER_FLOAT)


def tills(request, widget):
    """Cash in each drawer and on each M-Pesa till, from the ledger (one grouped query), with a
    one-tap "Bank it": the deposit form filled in with the drawer's cash less the owner's float."""
    businesses = list(businesses_for(request.user))
    sums = {(row["business"], row["account__code"]): row["dr"] - row["cr"] for row in
            JournalLine.objects.filter(business__in=businesses, account__code__in=CODES)
            .values("business", "account__code").annotate(dr=Sum("debit"), cr=Sum("credit"))}
    rows = []
    for business in businesses:
        cash, mpesa = sums.get((business.pk, chart.CASH), 0), sums.get((business.pk, chart.MPESA), 0)
        float_lent = -sums.get((business.pk, chart.OWNER_FLOAT), 0)  # a liability: credits are what is lent
        rows.append({"business": business, "cash": cash, "mpesa": mpesa, "float": max(float_lent, 0),
                     "to_bank": cash - max(float_lent, 0)})
    return {"rows": rows}
