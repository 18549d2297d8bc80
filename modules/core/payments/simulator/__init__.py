"""A local M-Pesa Daraja simulator for development and tests (installed only when MPESA_MODE=simulator).

It serves Daraja's endpoints at ``/simulator/daraja/`` with Safaricom's payload shapes:

* ``GET oauth/v1/generate?grant_type=client_credentials`` with HTTP Basic
  ``MPESA_CONSUMER_KEY:MPESA_CONSUMER_SECRET`` answers ``{"access_token": …, "expires_in": "3599"}``
  (``MPESA_SIMULATOR_TOKEN_SECONDS`` shortens the life, to play token expiry).
* ``POST mpesa/stkpush/v1/processrequest`` and ``POST mpesa/stkpushquery/v1/query`` need
  ``Authorization: Bearer <token>``: none answers 401, an expired or unknown one answers **404**
  ``404.001.03`` "Invalid Access Token" (as several clients report it). The BusinessShortCode must
  be a number it knows (each business's M-Pesa setting, and MPESA_SHORTCODE as a paybill) with
  Password = base64(shortcode + its passkey + Timestamp).
* The set-up must be right: a paybill is pushed as ``CustomerPayBillOnline`` with PartyB = the
  paybill; a till as ``CustomerBuyGoodsOnline`` with the store number as BusinessShortCode and the
  till as PartyB. Any other combination is accepted and then fails with the non-numeric ResultCode
  ``SFC_IC0003`` (callback and query), as real set-up errors do.
* Errors use Daraja's shape ``{"requestId", "errorCode", "errorMessage"}``: 400 ``400.002.02`` "Bad
  Request - Invalid <field>"; 500 ``500.001.1001`` "Wrong credentials" for a bad password; and, from
  STK Query before the payment settles, 500 ``500.001.1001`` "The transaction is being processed".
* C2B: ``POST mpesa/c2b/v1|v2/registerurl`` keeps one pair of URLs per number (refusing URLs that
  contain "mpesa" or "safaricom"); ``POST mpesa/c2b/v1/simulate`` (ShortCode, CommandID, Amount,
  Msisdn, BillRefNumber) plays a customer paying from their own phone: the validation URL is asked,
  then the confirmation is posted with the payer's MSISDN as a SHA-256 hex digest.
* ``GET portal/statement?shortcode=&start=&end=`` (HTTP Basic, the consumer key and secret) is the
  business portal's CSV statement of the period: heading lines, then "Receipt No.", "Completion
  Time", "Initiation Time", "Details", "Transaction Status", "Paid In", "Withdrawn", "Balance", …,
  one line per payment received and one per Safaricom charge (0.55 %, at most KES 200).

The **phone number** picks what the "customer" does: its last three digits for the rarer cases,
else its last digit.

| last digit(s) | outcome                                         | ResultCode | callback                         |
|---------------|-------------------------------------------------|------------|----------------------------------|
| 0, 7, 8, 9    | pays                                            | 0          | once, after ``MPESA_SIMULATOR_DELAY`` |
| 1             | cancels the prompt                              | 1032       | once                             |
| 2             | phone does not answer                           | 1037       | once                             |
| 3             | insufficient funds                              | 1          | once                             |
| 4             | pays, but the callback is lost                  | 0          | never: only STK Query tells      |
| 5             | pays, callback duplicated                       | 0          | twice, identical                 |
| 6             | pays, callback late                             | 0          | after ``MPESA_SIMULATOR_LATE_SECONDS`` |
| …001          | M-Pesa busy with another transaction            | 1001       | once                             |
| …019          | prompt expired                                  | 1019       | once                             |
| …025          | prompt could not be sent                        | 1025       | once                             |
| …031          | customer closed the prompt                      | 1031       | once                             |
| …036          | prompt never reached the phone                  | 1036       | once                             |
| …201          | wrong PIN                                       | 2001       | once                             |
| …202          | wrong PIN on the first push, pays on the next   | 2001, 0    | once each                        |
| …999          | M-Pesa system error                             | 9999       | once                             |
| …499          | STK Query answers ResultCode 4999 until it pays | 0          | never                            |
| …503          | push answered HTTP 503, prompt sent anyway, pays| 0          | once                             |
| …504          | push answered after the client gave up, pays    | 0          | once                             |
| …777          | pays after the business gave up waiting         | 0          | after ``MPESA_SIMULATOR_AFTER_GIVE_UP_SECONDS`` (660) |

Every push settles ``MPESA_SIMULATOR_DELAY`` seconds (default 2) after it is accepted: STK Query
answers "being processed" until then and the final ResultCode/ResultDesc afterwards. Successful
callbacks carry CallbackMetadata (Amount, MpesaReceiptNumber — 10 unique uppercase letters and
digits —, Balance, TransactionDate, PhoneNumber). For example ``0712 345 670`` pays and
``0712 345 671`` cancels.

Pushes, payments and tokens live in PostgreSQL (gunicorn runs several processes). Callbacks and C2B
posts are sent by a daemon ``threading.Timer`` in the process that accepted the request
(``deliveries.later``; tests call ``deliveries.settle()`` before emptying the database); delivery
errors are logged and dropped, as Safaricom does. A worker restart loses pending callbacks.
"""
