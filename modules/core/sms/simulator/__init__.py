"""A local Africa's Talking messaging API (``SMS_MODE=simulator``): ``POST /sms-api/version1/messaging``
answers as AT does (per-recipient ``statusCode``, ``messageId``, ``cost`` "KES 0.8000") and keeps
every message it accepted, so tests can count what a customer would have received.

Numbers: a subscriber number ending in 0000 is blacklisted (406 UserInBlacklist); anything that is
not ``+2547…``/``+2541…`` is 403 InvalidPhoneNumber. Faults, queued for the next calls
(``SimSmsFault``), oldest first:

* ``gateway_error``: the recipient comes back 500 InternalServerError, nothing sent;
* ``5xx``: HTTP 500 with no body the SDK can read, nothing sent;
* ``timeout``: hangs past the client's timeout, nothing sent (``SMS_SIMULATOR_HANG_SECONDS``);
* ``lost_answer``: the message is sent, then the answer hangs past the client's timeout.
"""
