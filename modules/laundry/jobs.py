"""Scheduled jobs (Module.schedules), run by RQ's cron scheduler in Africa/Nairobi time."""

from modules.core.businesses.services import enabled_businesses

from . import services


def daily_overdue() -> dict:
    """08:00 every day: tell the owner about overdue and week-old uncollected jobs (the
    ``laundry.overdue`` event; notifications subscribe to it). Safe to run twice a day."""
    digest = services.notify_overdue(enabled_businesses().get(code=services.BUSINESS_CODE))
    return {"day": digest.day.isoformat(), "overdue": digest.overdue_job_ids, "uncollected": digest.uncollected_job_ids}
