"""RQ jobs: every Daraja call runs here, never in a web request (see stk.py and c2b.py)."""

from . import c2b, stk
from .models import MpesaSetting


def push_stk(pk: int) -> None:
    stk.send_push(pk)


def check_stk(pk: int) -> None:
    stk.check(pk)


def register_c2b(setting_pk: int) -> None:
    """The owner's "Register C2B URLs" button; M-Pesa's answer (or refusal) lands on the setting."""
    c2b.register(MpesaSetting.objects.get(pk=setting_pk))
