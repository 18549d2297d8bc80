"""Event subscribers declared in module.py (they run after the publishing transaction commits)."""

from django.urls import reverse

from modules.core.notifications import services as notifications

OVERDUE = "laundry.overdue"


def tell_the_owner_what_is_overdue(business, day, overdue_count, uncollected_count, **payload):
    parts = [f"{overdue_count} overdue" if overdue_count else "",
             f"{uncollected_count} ready and not collected for 7+ days" if uncollected_count else ""]
    notifications.send(OVERDUE, message=f"Laundry {day}: " + ", ".join(p for p in parts if p),
                       link=reverse("admin:laundry:board"), business=business, throttle_key=f"{business}:{day}",
                       throttle=24 * 3600)
