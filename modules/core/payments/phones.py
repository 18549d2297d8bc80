"""Kenyan mobile numbers in the one form M-Pesa (Daraja) accepts: 2547XXXXXXXX or 2541XXXXXXXX."""

import re

from django.core.exceptions import ValidationError

PHONE_HELP = "Enter a Safaricom number like 0712 345 678, 0112 345 678 or +254 712 345 678."

# Optional country code (+254 / 254) or trunk 0, then a 7… or 1… subscriber number of 9 digits.
_MOBILE = re.compile(r"(?:\+?254|0)?([71][0-9]{8})")
_SEPARATORS = re.compile(r"[\s\-]+")


def normalize_phone(raw: str) -> str:
    """'0712 345 678', '+254-712-345678', '712345678' … → '254712345678'; anything else: ValidationError."""
    if not isinstance(raw, str):
        raise ValidationError(PHONE_HELP, code="invalid_phone")
    match = _MOBILE.fullmatch(_SEPARATORS.sub("", raw))
    if not match:
        raise ValidationError(PHONE_HELP, code="invalid_phone")
    return "254" + match.group(1)
