"""Credit notes, one module per group of use cases:

- ``issue``: a credit note asked for, made by a refund, or by voiding an invoice that was sent;
- ``balances``: a customer's credit balance, used by their next invoices;
- ``queries``: one credit note, a filtered page."""
