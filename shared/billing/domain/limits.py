"""How large a document may be: its lines, a line's payments, and so what a sum over its
payments may come to. Apart from the pricing engine, so that the API's schemas can state the
bounds without importing it."""

from __future__ import annotations

from decimal import Decimal

from billing.domain.money import MAX_AMOUNT

MAX_LINES = 500
MAX_QUANTITY = Decimal("1000000000")
MAX_PAYMENTS = 1000
# A sum over a document's payments (its future payments, contract value, metrics, a day of its
# schedule) is at most this: every line's payment is at most MAX_AMOUNT, and it has at most
# MAX_PAYMENTS of them. Far below 2**63.
MAX_AMOUNT_SUM = MAX_LINES * MAX_PAYMENTS * MAX_AMOUNT
