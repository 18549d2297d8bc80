"""What a production SMS set-up must look like. Plain Python (no models): settings/production.py
calls ``production_problems`` while settings load, so gunicorn refuses to start half-configured."""

from urllib.parse import urlsplit

MODES = ("off", "simulator", "sandbox", "production")
BASE_URLS = {"sandbox": "https://api.sandbox.africastalking.com/version1",
             "production": "https://api.africastalking.com/version1"}


def production_problems(values: dict) -> list[str]:
    """Every reason the SMS_* / AT_* settings in ``values`` are not fit for production (empty: fine)."""
    mode = values.get("SMS_MODE") or ""
    if mode not in MODES:
        return [f"SMS_MODE must be one of {', '.join(MODES)} (got {mode!r})"]
    if mode == "simulator":
        return ["SMS_MODE=simulator is for dev and tests: set production (or sandbox, or off)"]
    if mode == "off":
        return []
    problems = []
    username = values.get("AT_USERNAME") or ""
    if not username:
        problems.append("AT_USERNAME must be the Africa's Talking application's username")
    elif mode == "production" and username == "sandbox":
        problems.append("AT_USERNAME=sandbox is Africa's Talking's sandbox while SMS_MODE=production")
    if len(values.get("AT_API_KEY") or "") < 20:
        problems.append("AT_API_KEY must be the application's API key (from the Africa's Talking dashboard)")
    if len(values.get("SMS_CALLBACK_TOKEN") or "") < 32:
        problems.append("SMS_CALLBACK_TOKEN must be 32+ random characters (it guards the delivery-report "
                        "and incoming-message callbacks)")
    parts = urlsplit(values.get("SMS_BASE_URL") or "")
    if parts.scheme != "https" or not parts.hostname:
        problems.append("SMS_BASE_URL must be Africa's Talking's https:// address")
    public = urlsplit(values.get("PUBLIC_BASE_URL") or "")
    if public.scheme != "https" or not public.hostname or public.hostname in ("localhost", "127.0.0.1"):
        problems.append("PUBLIC_BASE_URL must be the site's public https:// address (texts carry links to it)")
    return problems
