"""Kenyan mobile numbers in the one form M-Pesa (Daraja) accepts: 2547XXXXXXXX or 2541XXXXXXXX.

A customer is known by their phones, so the helpers live here, below payments, sales and every
business module that reads a number."""

import hashlib
import re

from django.core.exceptions import ValidationError

PHONE_HELP = "Enter a Safaricom number like 0712 345 678, 0112 345 678 or +254 712 345 678."

# Optional country code (+254 / 254) or trunk 0, then a 7… or 1… subscriber number of 9 digits.
_MOBILE = re.compile(r"(?:\+?254|0)?([71][0-9]{8})")
_SEPARATORS = re.compile(r"[\s\-]+")
_IN_TEXT = re.compile(r"(2547[0-9*]{8}|2541[0-9*]{8})")  # as statements show the payer: 2547*****678


def normalize_phone(raw: str) -> str:
    """'0712 345 678', '+254-712-345678', '712345678' … → '254712345678'; anything else: ValidationError."""
    if not isinstance(raw, str):
        raise ValidationError(PHONE_HELP, code="invalid_phone")
    match = _MOBILE.fullmatch(_SEPARATORS.sub("", raw))
    if not match:
        raise ValidationError(PHONE_HELP, code="invalid_phone")
    return "254" + match.group(1)


def phone_hash(phone: str) -> str:
    """SHA-256 hex of a normalised phone, as C2B confirmations carry the payer since 2024."""
    return hashlib.sha256(phone.encode()).hexdigest()


def same_phone(sent, expected: str) -> bool:
    """Whether a phone M-Pesa reports (plain, masked ``2547*****678`` or hashed) is ``expected``."""
    text = str(sent).strip() if isinstance(sent, (str, int)) and not isinstance(sent, bool) else ""
    if "*" in text:
        return len(text) == len(expected) and all(c in ("*", e) for c, e in zip(text, expected))
    if re.fullmatch(r"[0-9a-f]{64}", text.lower()):
        return text.lower() == phone_hash(expected)
    try:
        return normalize_phone(text) == expected
    except ValidationError:
        return False


def phone_in_text(text: str) -> str:
    """The payer's number as a statement line shows it (often masked: ``2547*****678``), or ''."""
    match = _IN_TEXT.search(text or "")
    return match.group(1) if match else ""
