"""Africa's Talking's messaging API through its official SDK (``africastalking``), pointed at
``SMS_BASE_URL``: the local simulator (dev, tests), AT's sandbox or production.

``send`` answers what happened to the one recipient, sorted into what the outbox worker must do:
``Sent`` (accepted: message id and cost), ``NotSent`` (nothing left the gateway: retry later),
``Rejected`` (final: a bad or blacklisted number; never retried) and ``Unknown`` (the request may
have been sent and the answer was lost: at most once means it is never resent)."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import requests
from africastalking.SMS import SMSService
from africastalking.Service import AfricasTalkingException
from django.conf import settings

ACCEPTED = {100, 101, 102}  # Processed, Sent, Queued
REJECTED = {403, 404, 406, 409}  # InvalidPhoneNumber, UnsupportedNumberType, UserInBlacklist, DoNotDisturbRejection
# anything else (401 RiskHold, 402 InvalidSenderId, 405 InsufficientBalance, 407 CouldNotRoute, 500-502) is retried


class GatewayError(Exception):
    pass


class NotSent(GatewayError):
    """Nothing was sent: try again after the backoff."""


class Rejected(GatewayError):
    """The gateway will never send this one."""


class Unknown(GatewayError):
    """The request may have reached the gateway (its answer was lost)."""


@dataclass(frozen=True)
class Sent:
    message_id: str
    cost: Decimal
    status: str


def client() -> SMSService:
    service = SMSService(settings.AT_USERNAME, settings.AT_API_KEY)
    service._baseUrl = settings.SMS_BASE_URL.rstrip("/")  # the SDK fixes AT's hosts; ours may be the simulator
    return service


def parse_cost(text: str) -> Decimal:
    """'KES 0.8000' → Decimal('0.8000'); anything else 0 (AT answers '0' for a refused number)."""
    try:
        return Decimal(str(text).split()[-1])
    except (InvalidOperation, IndexError):
        return Decimal(0)


def send(phone: str, text: str) -> Sent:
    timeout = (min(3.05, settings.SMS_HTTP_TIMEOUT), settings.SMS_HTTP_TIMEOUT)
    try:
        answer = client().send(text, [f"+{phone}"], sender_id=settings.SMS_SENDER_ID or None, timeout=timeout)
    except requests.ConnectTimeout:
        raise NotSent("gateway unreachable (connect timeout)") from None
    except requests.ReadTimeout:
        raise Unknown("the gateway did not answer in time: the message may have been sent") from None
    except requests.ConnectionError as error:
        if "NewConnectionError" in repr(error) or "NameResolutionError" in repr(error):
            raise NotSent("gateway unreachable (no connection)") from None
        raise Unknown(f"the connection broke mid-request: {type(error).__name__}") from None
    except AfricasTalkingException as error:  # HTTP 4xx/5xx: the gateway refused the request
        raise NotSent(f"gateway error: {str(error)[:200]}") from None
    try:
        recipient = answer["SMSMessageData"]["Recipients"][0]
        code = int(recipient["statusCode"])
    except (TypeError, KeyError, IndexError, ValueError):
        raise Unknown(f"unreadable gateway answer: {str(answer)[:200]}") from None
    if code in ACCEPTED:
        return Sent(str(recipient.get("messageId", "")), parse_cost(recipient.get("cost", "")),
                    str(recipient.get("status", "")))
    why = f"{code} {recipient.get('status', '')}".strip()
    raise (Rejected if code in REJECTED else NotSent)(why)
