from modules.core.businesses.services import businesses_for

from . import services


def monthly_cost(request, widget):
    rows = services.monthly_cost(businesses_for(request.user))
    return {"rows": rows, "total": sum((row["cost"] for row in rows), 0), "count": sum(row["count"] for row in rows)}
