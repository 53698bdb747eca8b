"""Adapters whose libraries load on first use: a handler's cold start pays for fpdf2 and babel
only when a request renders a document (or an e-invoice: drafthorse, factur-x, lxml)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing.adapters.einvoice import EInvoices
    from billing.adapters.pdf.invoice import InvoicePdf
    from billing.domain.invoices import Invoice
    from billing.domain.settings import Seller


class LazyInvoicePdf:
    @cached_property
    def _pdf(self) -> InvoicePdf:
        from billing.adapters.pdf.invoice import InvoicePdf

        return InvoicePdf()

    def render(self, invoice: Invoice, seller: Seller, hosted_url: str | None) -> bytes:
        return self._pdf.render(invoice, seller, hosted_url)


class LazyEInvoices:
    @cached_property
    def _writer(self) -> EInvoices:
        from billing.adapters.einvoice import EInvoices

        return EInvoices()

    def xml(self, invoice: Invoice, seller: Seller, *, xrechnung: bool, payment_url: str | None) -> bytes:
        return self._writer.xml(invoice, seller, xrechnung=xrechnung, payment_url=payment_url)

    def zugferd(self, invoice: Invoice, seller: Seller, pdf: bytes, *, payment_url: str | None) -> bytes:
        return self._writer.zugferd(invoice, seller, pdf, payment_url=payment_url)
