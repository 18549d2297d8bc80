"""A local M-Pesa Daraja simulator for development and tests (installed only when MPESA_MODE=simulator).

It serves Daraja's endpoints at ``/simulator/daraja/`` with Safaricom's payload shapes:

* ``GET oauth/v1/generate?grant_type=client_credentials`` with HTTP Basic
  ``MPESA_CONSUMER_KEY:MPESA_CONSUMER_SECRET`` answers ``{"access_token": …, "expires_in": "3599"}``.
* ``POST mpesa/stkpush/v1/processrequest`` and ``POST mpesa/stkpushquery/v1/query`` need
  ``Authorization: Bearer <token>`` (401 otherwise) and a Password equal to
  base64(MPESA_SHORTCODE + MPESA_PASSKEY + Timestamp).
* Errors use Daraja's shape ``{"requestId", "errorCode", "errorMessage"}``: 401 ``404.001.03`` Invalid
  Access Token; 400 ``400.002.02`` "Bad Request - Invalid <field>"; 500 ``500.001.1001`` "Wrong
  credentials" for a bad password; and, from STK Query before the payment settles, 500
  ``500.001.1001`` "The transaction is being processed".

The **last digit of the phone number** picks what the "customer" does:

| last digit | outcome                              | ResultCode | callback                                   |
|------------|--------------------------------------|------------|--------------------------------------------|
| 0, 7, 8, 9 | pays                                 | 0          | once, after ``MPESA_SIMULATOR_DELAY``      |
| 1          | cancels the prompt                   | 1032       | once, after the delay                      |
| 2          | phone does not answer                | 1037       | once, after the delay                      |
| 3          | insufficient funds                   | 1          | once, after the delay                      |
| 4          | pays, but the callback is lost       | 0          | never: only STK Query reveals the payment  |
| 5          | pays, callback duplicated            | 0          | twice, identical, after the delay          |
| 6          | pays, callback late                  | 0          | once, after ``MPESA_SIMULATOR_LATE_SECONDS``|

Every push settles ``MPESA_SIMULATOR_DELAY`` seconds (default 2) after it is accepted: STK Query
answers "being processed" until then and the final ResultCode/ResultDesc afterwards. The late
callback comes ``MPESA_SIMULATOR_LATE_SECONDS`` (default 20) after the push. Successful callbacks
carry CallbackMetadata (Amount, MpesaReceiptNumber — 10 unique uppercase letters and digits —,
Balance, TransactionDate, PhoneNumber). For example ``0712 345 670`` pays and ``0712 345 671`` cancels.

Pushes and tokens live in PostgreSQL (gunicorn runs several processes). Callbacks are POSTed as JSON
to the request's CallBackURL by a daemon ``threading.Timer`` in the process that accepted the push;
delivery errors are logged and dropped, as Safaricom does. A worker restart loses pending callbacks.
"""
