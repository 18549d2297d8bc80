"""Cron configuration for `manage.py rqcron backoffice.schedules`, built from the registry.

Cron strings are evaluated in the process's local time, so pin it to Africa/Nairobi here.
"""

import os
import time

from django.conf import settings
from django.utils.module_loading import import_string
from rq import cron

from modules.core.registry import registry

os.environ["TZ"] = settings.TIME_ZONE
time.tzset()

for schedule in registry.schedules():
    cron.register(
        import_string(schedule.job),
        queue_name=schedule.queue,
        cron=schedule.cron,
        interval=schedule.interval,
        job_timeout=schedule.timeout,
        name=schedule.name,
    )
