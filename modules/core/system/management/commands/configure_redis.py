from django.conf import settings
from django.core.management.base import BaseCommand
from redis.exceptions import ResponseError

from modules.core.system.facts import connection


class Command(BaseCommand):
    help = "Apply the memory budget (REDIS_MAXMEMORY), eviction policy and AOF from settings to Redis."

    def handle(self, *args, **options):
        conn = connection()
        wanted = {
            "maxmemory": settings.REDIS_MAXMEMORY,
            "maxmemory-policy": settings.REDIS_MAXMEMORY_POLICY,
            "appendonly": "yes",
        }
        for key, value in wanted.items():
            try:
                conn.config_set(key, value)
            except ResponseError as error:  # managed Redis may forbid CONFIG
                self.stderr.write(f"could not set {key}={value}: {error}; set it in redis.conf")
        applied = conn.config_get("maxmemory*")
        self.stdout.write(
            f"Redis maxmemory={int(applied['maxmemory']) // 1024 // 1024}mb "
            f"policy={applied['maxmemory-policy']} appendonly={conn.config_get('appendonly')['appendonly']}"
        )
