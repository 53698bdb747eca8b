"""Lambda: /v1/invoices (the create-invoice handler), their credit notes, the DATEV export, and the hosted invoice
pages /i/{token}."""

from billing.bootstrap import invoicing
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import credit_notes, datev, hosted, invoices
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(invoices.router, credit_notes.router, datev.router, hosted.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, invoicing)
