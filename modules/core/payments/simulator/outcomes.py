"""What the simulated customer (and Daraja) do, chosen by the phone number (table in __init__)."""

from dataclasses import dataclass

SUCCESS_DESC = "The service request is processed successfully."
SETUP_ERROR_CODE = "SFC_IC0003"
SETUP_ERROR_DESC = "The PartyB or TransactionType does not match the BusinessShortCode's set-up."


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    result_code: int | str
    result_desc: str
    callbacks: int = 1  # how many times the callback is POSTed
    late: bool = False  # sent after MPESA_SIMULATOR_LATE_SECONDS instead of at settlement
    after_give_up: bool = False  # settles (and calls back) after MPESA_SIMULATOR_AFTER_GIVE_UP_SECONDS
    push_answer: str = "accepted"  # "503": Daraja answers 503 but prompts; "slow": answers after the client gave up
    query_pending_code: bool = False  # STK Query says ResultCode 4999 (not the 500.001.1001 error) until settled

    @property
    def paid(self) -> bool:
        return self.result_code == 0


OUTCOMES = {o.key: o for o in (
    Outcome("success", "Pays", 0, SUCCESS_DESC),
    Outcome("cancelled", "Cancels the prompt", 1032, "Request cancelled by user"),
    Outcome("no_response", "Phone does not answer", 1037, "DS timeout user cannot be reached"),
    Outcome("insufficient_funds", "Insufficient funds", 1, "The balance is insufficient for the transaction."),
    Outcome("lost_callback", "Pays, callback lost", 0, SUCCESS_DESC, callbacks=0),
    Outcome("duplicate_callback", "Pays, callback sent twice", 0, SUCCESS_DESC, callbacks=2),
    Outcome("late_callback", "Pays, callback late", 0, SUCCESS_DESC, late=True),
    Outcome("busy", "M-Pesa busy with another transaction", 1001,
            "Unable to lock subscriber, a transaction is already in process for the current subscriber"),
    Outcome("expired", "Prompt expired", 1019, "Transaction has expired"),
    Outcome("push_error", "Prompt not sent", 1025, "An error occurred while sending a push request"),
    Outcome("closed", "Closes the prompt", 1031, "Request cancelled by user"),
    Outcome("unreachable", "Prompt not delivered", 1036, "SMSC ACK timeout"),
    Outcome("wrong_pin", "Wrong PIN", 2001, "The initiator information is invalid."),
    Outcome("system_error", "M-Pesa system error", 9999, "An error occurred while sending a push request."),
    Outcome("still_processing", "Query says 4999, then pays (callback lost)", 0, SUCCESS_DESC, callbacks=0,
            query_pending_code=True),
    Outcome("ambiguous_503", "Push answered 503, prompt sent anyway, pays", 0, SUCCESS_DESC, push_answer="503"),
    Outcome("ambiguous_slow", "Push answered too late for the client, pays", 0, SUCCESS_DESC, push_answer="slow"),
    Outcome("after_give_up", "Pays after the business gave up waiting", 0, SUCCESS_DESC, after_give_up=True),
    Outcome("setup_error", "Wrong till or paybill set-up", SETUP_ERROR_CODE, SETUP_ERROR_DESC),
)}

BY_LAST_DIGIT = {
    "0": "success", "1": "cancelled", "2": "no_response", "3": "insufficient_funds", "4": "lost_callback",
    "5": "duplicate_callback", "6": "late_callback", "7": "success", "8": "success", "9": "success",
}
# The last three digits pick the rarer cases first (e.g. 0712 345 001: M-Pesa busy).
BY_LAST_THREE = {
    "001": "busy", "019": "expired", "025": "push_error", "031": "closed", "036": "unreachable",
    "201": "wrong_pin", "999": "system_error", "499": "still_processing", "503": "ambiguous_503",
    "504": "ambiguous_slow", "777": "after_give_up",
}
WRONG_PIN_THEN_PAYS = "202"  # 2001 on the first push to the phone, pays on the next one


def outcome_for(phone: str, *, earlier_pushes: int = 0) -> Outcome:
    if phone.endswith(WRONG_PIN_THEN_PAYS):
        return OUTCOMES["wrong_pin" if earlier_pushes == 0 else "success"]
    return OUTCOMES[BY_LAST_THREE.get(phone[-3:]) or BY_LAST_DIGIT[phone[-1]]]
