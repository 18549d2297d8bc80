from .base import *  # noqa: F403

DEBUG = True
DEMO_ALLOWED = True
ALLOWED_HOSTS = ["*"]
