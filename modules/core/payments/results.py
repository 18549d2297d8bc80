"""What Daraja's STK result codes mean, in plain English for the seller at the counter and, where
something must be fixed, for the owner. Codes from Safaricom's documentation and what integrators
report; a non-numeric code (``SFC_IC0003``) is a set-up error on our side."""

from dataclasses import dataclass

from .models import StkRequest

Status = StkRequest.Status


@dataclass(frozen=True)
class Result:
    status: str  # StkRequest.Status the request ends in
    seller: str  # what the person at the counter reads on the waiting screen
    owner: str = ""  # set when the owner must act (the owner is notified)

    @property
    def configuration_error(self) -> bool:
        return bool(self.owner)


ANOTHER_WAY = "Ask again, or take another way to pay."
RESULTS = {
    0: Result(Status.SUCCESS, "Paid."),
    1: Result(Status.INSUFFICIENT, "The customer does not have enough money in M-Pesa (or Fuliza) for this. "
                                   "Ask them to top up, or take another way to pay."),
    1001: Result(Status.FAILED, "The customer's M-Pesa is busy with another transaction. "
                                "Wait a minute, then ask again."),
    1019: Result(Status.TIMEOUT, "The M-Pesa prompt expired before the customer answered. " + ANOTHER_WAY),
    1025: Result(Status.FAILED, "M-Pesa could not send the prompt to the customer's phone. " + ANOTHER_WAY),
    1031: Result(Status.CANCELLED, "The customer closed the M-Pesa prompt without paying."),
    1032: Result(Status.CANCELLED, "The customer cancelled the M-Pesa prompt."),
    1036: Result(Status.TIMEOUT, "The prompt did not reach the customer's phone (phone off, no network, or an "
                                 "old SIM card). " + ANOTHER_WAY),
    1037: Result(Status.TIMEOUT, "The customer's phone did not answer: it is off, out of network, or the "
                                 "customer did not respond in time. " + ANOTHER_WAY),
    2001: Result(Status.FAILED, "The customer entered a wrong M-Pesa PIN. Ask again and have them type the "
                                "right PIN."),
    4999: Result(Status.PENDING, "M-Pesa is still processing the payment. Please wait."),
    9999: Result(Status.FAILED, "M-Pesa had an error sending the prompt. " + ANOTHER_WAY),
}
CANCELLED_CODES = {1031, 1032}


def for_code(code, desc: str = "", *, business=None) -> Result:
    """The Result for a ResultCode (an int, or text for a set-up error)."""
    if isinstance(code, str):
        try:
            code = int(code)
        except ValueError:
            return configuration_error(code, desc, business=business)
    if code in RESULTS:
        return RESULTS[code]
    said = f" M-Pesa said: {desc}" if desc else ""
    return Result(Status.FAILED, f"M-Pesa did not complete the payment (code {code}).{said} " + ANOTHER_WAY)


def configuration_error(code: str, desc: str = "", *, business=None) -> Result:
    where = f" for {business}" if business else ""
    said = f' ("{desc}")' if desc else ""
    return Result(
        Status.FAILED,
        f"M-Pesa refused the request because of a set-up problem (code {code}). The owner has been told; "
        "take another way to pay.",
        owner=f"M-Pesa set-up problem{where}: code {code}{said}. Check admin → Payments → M-Pesa settings: "
              "paybill or till, the paybill or store number, the till number and the passkey must be exactly "
              "what Safaricom issued (a till is pushed with the store number as BusinessShortCode and the till "
              "as PartyB).")


def seller_message(stk: StkRequest) -> str:
    """The waiting screen's sentence for a request in any state."""
    if stk.status in (Status.QUEUED, Status.SENDING):
        return "Sending the request to M-Pesa…"
    if stk.status == Status.PENDING:
        return f"Ask the customer to enter their M-Pesa PIN on {stk.phone}."
    if stk.status == Status.UNKNOWN:
        return ("M-Pesa did not answer in time, so the prompt may still reach the customer. Wait: if they pay, "
                "it shows here.")
    if stk.status == Status.GAVE_UP:
        return ("No final answer from M-Pesa. If the customer pays after all, the money goes to the M-Pesa inbox "
                "and you will be told.")
    if stk.status == Status.PAID_LATE:
        return ("The customer did pay, after we had stopped waiting. The money is in the M-Pesa inbox: the owner "
                "has been told. If you took cash as well, give it back or allocate the M-Pesa money in the inbox.")
    if stk.status == Status.FAILED and (stk.settled_by == "push" or not stk.result_code):
        return stk.result_desc or "M-Pesa did not accept the request. " + ANOTHER_WAY
    return for_code(stk.result_code, stk.result_desc, business=stk.business).seller
