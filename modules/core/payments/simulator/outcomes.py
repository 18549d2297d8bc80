"""What the simulated customer does, chosen by the last digit of the phone number (table in __init__)."""

from dataclasses import dataclass

SUCCESS_DESC = "The service request is processed successfully."


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    result_code: int
    result_desc: str
    callbacks: int = 1  # how many times the callback is POSTed
    late: bool = False  # sent after MPESA_SIMULATOR_LATE_SECONDS instead of at settlement

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
)}

BY_LAST_DIGIT = {
    "0": "success", "1": "cancelled", "2": "no_response", "3": "insufficient_funds", "4": "lost_callback",
    "5": "duplicate_callback", "6": "late_callback", "7": "success", "8": "success", "9": "success",
}


def outcome_for(phone: str) -> Outcome:
    return OUTCOMES[BY_LAST_DIGIT[phone[-1]]]
