"""Adapters whose libraries load on first use: a handler's cold start pays for fpdf2 and babel
only when a request renders a document (or an e-invoice: drafthorse, factur-x, lxml)."""

from __future__ import annotations

from functools import cached_property


class LazyInvoicePdf:
    @cached_property
    def _pdf(self):
        from billing.adapters.pdf.invoice import InvoicePdf

        return InvoicePdf()

    def render(self, invoice, seller, hosted_url):
        return self._pdf.render(invoice, seller, hosted_url)


class LazyEInvoices:
    @cached_property
    def _writer(self):
        from billing.adapters.einvoice import EInvoices

        return EInvoices()

    def xml(self, invoice, seller, *, xrechnung, payment_url):
        return self._writer.xml(invoice, seller, xrechnung=xrechnung, payment_url=payment_url)

    def zugferd(self, invoice, seller, pdf, *, payment_url):
        return self._writer.zugferd(invoice, seller, pdf, payment_url=payment_url)
