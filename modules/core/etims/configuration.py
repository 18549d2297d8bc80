"""What a production eTIMS set-up must look like. Plain Python (no models): settings/production.py
calls ``production_problems`` while settings load, so gunicorn refuses to start half-configured."""

import re
from urllib.parse import urlsplit

MODES = ("off", "simulator", "sandbox", "production")
KRA_PIN = re.compile(r"^[A-Z][0-9]{9}[A-Z]$")
BRANCH = re.compile(r"^[0-9]{2}$")
KRA_HOSTS = {"sandbox": "etims-api-sbx.kra.go.ke", "production": "etims-api.kra.go.ke"}


def production_problems(values: dict) -> list[str]:
    """Every reason the ETIMS_* settings in ``values`` are not fit for production (empty: fine)."""
    mode = values.get("ETIMS_MODE") or ""
    if mode not in MODES:
        return [f"ETIMS_MODE must be one of {', '.join(MODES)} (got {mode!r})"]
    if mode == "simulator":
        return ["ETIMS_MODE=simulator is for dev and tests: set sandbox (certification) or production"]
    if mode == "off":
        return []
    problems = []
    if not KRA_PIN.match(values.get("ETIMS_TIN") or ""):
        problems.append("ETIMS_TIN must be the owner's KRA PIN: a letter, 9 digits and a letter (A123456789Z)")
    if not BRANCH.match(values.get("ETIMS_BHF_ID") or ""):
        problems.append("ETIMS_BHF_ID must be the 2-digit branch KRA assigned to the device (00, 01…)")
    if not (values.get("ETIMS_DEVICE_SERIAL") or "").strip():
        problems.append("ETIMS_DEVICE_SERIAL must be the serial approved in the eTIMS portal")
    parts = urlsplit(values.get("ETIMS_BASE_URL") or "")
    if parts.scheme != "https" or not parts.hostname:
        problems.append("ETIMS_BASE_URL must be KRA's https:// OSCU address")
    elif parts.hostname == KRA_HOSTS["sandbox"] and mode == "production":
        problems.append("ETIMS_BASE_URL is KRA's sandbox while ETIMS_MODE=production")
    return problems
