"""What a production M-Pesa set-up must look like. Plain Python (no models): settings/production.py
calls ``production_problems`` while settings load, so gunicorn refuses to start half-configured."""

import ipaddress
import math
from urllib.parse import urlsplit

SANDBOX_SHORTCODE = "174379"  # Safaricom's public sandbox paybill
# The sandbox's published passkey: a production paybill never has it.
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
KNOWN_DEFAULT_TOKENS = {"dev-callback-token", "change-me", "changeme", "secret", "token"}
TOKEN_MIN_LENGTH = 32
TOKEN_MIN_BITS = 128  # length × log2(distinct characters): token_urlsafe(32) gives about 210
URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# Safaricom drops registered URLs that contain these words (in any case), host included.
FORBIDDEN_URL_WORDS = ("mpesa", "m-pesa", "safaricom")


def token_problem(token: str) -> str | None:
    """Why a callback token is too weak to sit in a URL path that anyone may guess at, or None."""
    if not token or token.lower() in KNOWN_DEFAULT_TOKENS or "change-me" in token.lower():
        return "is a default or placeholder value"
    if len(token) < TOKEN_MIN_LENGTH:
        return f"is shorter than {TOKEN_MIN_LENGTH} characters"
    if not set(token) <= URL_SAFE:
        return "may hold only letters, digits, '-' and '_' (it is part of a URL path)"
    if len(token) * math.log2(max(len(set(token)), 2)) < TOKEN_MIN_BITS:
        return "repeats too few characters to be unguessable"
    return None


def callback_base_problem(url: str) -> str | None:
    """Safaricom must reach the callback base over public https."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not parts.hostname:
        return "must be a public https:// URL"
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
        return "must be a public host name, not a local one"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and not address.is_global:
        return "must be a public address, not a private or loopback one"
    if any(word in url.lower() for word in FORBIDDEN_URL_WORDS):
        return "must not contain 'mpesa' or 'safaricom' (Safaricom blocks such callback URLs)"
    return None


def production_problems(values: dict) -> list[str]:
    """Every reason the MPESA_* settings in ``values`` are not fit for production (empty: fine)."""
    problems = []
    mode = values.get("MPESA_MODE")
    if mode == "simulator":
        problems.append("MPESA_MODE=simulator is for dev and tests; use sandbox or production")
    for name in ("MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE", "MPESA_PASSKEY",
                 "MPESA_CALLBACK_TOKEN", "MPESA_CALLBACK_BASE_URL"):
        if not values.get(name):
            problems.append(f"{name} must be set in production")
    token = values.get("MPESA_CALLBACK_TOKEN") or ""
    if token and (why := token_problem(token)):
        problems.append(f"MPESA_CALLBACK_TOKEN {why}: generate one with "
                        "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
    base = values.get("MPESA_CALLBACK_BASE_URL") or ""
    if base and (why := callback_base_problem(base)):
        problems.append(f"MPESA_CALLBACK_BASE_URL {why}")
    if mode == "production":
        if str(values.get("MPESA_SHORTCODE") or "") == SANDBOX_SHORTCODE:
            problems.append(f"MPESA_SHORTCODE {SANDBOX_SHORTCODE} is Safaricom's sandbox; set the business's own "
                            "paybill or store number")
        if values.get("MPESA_PASSKEY") == SANDBOX_PASSKEY:
            problems.append("MPESA_PASSKEY is the sandbox's published passkey; set the one Safaricom issued")
    return problems
