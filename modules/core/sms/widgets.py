from modules.core.businesses.services import businesses_for
from modules.core.registry.roles import business_codes_for

from . import services


def monthly_cost(request, widget):
    rows = services.monthly_cost(businesses_for(request.user),
                                 include_unassigned=business_codes_for(request.user) is None)
    return {"rows": rows, "total": sum((row["cost"] for row in rows), 0), "count": sum(row["count"] for row in rows)}
