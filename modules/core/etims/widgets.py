"""The eTIMS dashboard widget: how many sales wait for KRA's signature, and since when."""

from modules.core.businesses.services import businesses_for

from . import services


def pending(request, widget=None):
    facts = services.pending_facts(businesses_for(request.user))
    oldest = facts.oldest_seconds
    return {"enabled": services.enabled(), "waiting": facts.waiting, "failed": facts.failed,
            "oldest_minutes": int(oldest // 60) if oldest is not None else None,
            "late": oldest is not None and oldest >= services.PENDING_ALERT_AFTER.total_seconds()}
