"""An invoice's documents: its PDF and its EN 16931 e-invoices (ZUGFeRD/Factur-X, XRechnung),
each made once per version of the document and kept, behind expiring links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict
from billing.domain.invoices import EInvoiceFormat, Invoice, document_key, einvoice_refusal, hosted_url
from billing.ports import Clock, EInvoiceWriter, FileStore, InvoiceRenderer, InvoiceRepository, SettingsRepository
from billing.services.invoices.common import Link


@dataclass(frozen=True)
class InvoiceDocuments:
    invoices: InvoiceRepository
    settings: SettingsRepository
    files: FileStore
    renderer: InvoiceRenderer
    einvoices: EInvoiceWriter
    clock: Clock
    link_seconds: int

    def pdf_link(self, caller: Caller, invoice_id: str, hosted_base: str) -> Link:
        """A presigned link to the invoice's PDF. Each version of the document is rendered once
        and kept: the same content is the same file (a void, or an edit, makes a new one)."""
        caller.require(Permission.READ)
        return self.pdf_of(self.invoices.get(caller.tenant_id, invoice_id), hosted_base)

    def pdf_of(self, invoice: Invoice, hosted_base: str) -> Link:
        """The link to a document's PDF (an invoice's, or a credit note's as a document)."""
        return self.document_link(invoice, self.stored_pdf(invoice, hosted_base)[0], "pdf", self.link_seconds)

    def document_link(self, invoice: Invoice, key: str, extension: str, seconds: int) -> Link:
        """The stored document behind an expiring link, downloaded under the invoice's number."""
        name = f"{invoice.number or 'draft'}.{extension}"
        url = self.files.download_url(key, seconds, download_name=name)
        return Link(url, self.clock.now() + timedelta(seconds=seconds))

    def stored_pdf(
        self, invoice: Invoice, hosted_base: str, *, with_bytes: bool = False, first_send: bool = False
    ) -> tuple[str, bytes | None]:
        """The key of the invoice's PDF in the document store (rendered and stored when new), and
        its bytes when asked for. Once stored, a document is never written again. ``first_send``
        (an invoice never sent, whose email wants the bytes) renders it without first asking the
        store what cannot be there yet."""
        key = document_key(invoice, hosted_base, "pdf", "pdf")
        if not first_send:
            if not with_bytes and self.files.exists(key):
                return key, None
            if with_bytes and (stored := self.files.get(key)) is not None:
                return key, stored
        seller = invoice.seller or self.settings.get(invoice.tenant_id).seller
        body = self.renderer.render(invoice, seller, hosted_url(invoice, hosted_base))
        self.files.put_new(key, body, "application/pdf")
        return key, body

    def einvoice_link(self, caller: Caller, invoice_id: str, fmt: EInvoiceFormat, hosted_base: str) -> Link:
        """ZUGFeRD/Factur-X (PDF/A-3 with the XML) or XRechnung (CII XML), made once per version of
        the document and kept beside its PDF; 409 with every reason when the invoice cannot be one."""
        caller.require(Permission.READ)
        return self.einvoice_of(self.invoices.get(caller.tenant_id, invoice_id), fmt, hosted_base)

    def einvoice_of(self, invoice: Invoice, fmt: EInvoiceFormat, hosted_base: str) -> Link:
        """The link to a document's e-invoice in the given format, made when new."""
        seller = invoice.seller or self.settings.get(invoice.tenant_id).seller
        refusal = einvoice_refusal(invoice, seller, fmt)
        if refusal:
            raise Conflict("; ".join(refusal.reasons))
        extension = "pdf" if fmt is EInvoiceFormat.ZUGFERD else "xml"
        key = document_key(invoice, hosted_base, fmt.value, extension)
        if not self.files.exists(key):
            payment_url = hosted_url(invoice, hosted_base)
            if fmt is EInvoiceFormat.ZUGFERD:
                _, pdf = self.stored_pdf(invoice, hosted_base, with_bytes=True)
                assert pdf is not None  # asked for with its bytes
                body = self.einvoices.zugferd(invoice, seller, pdf, payment_url=payment_url)
                self.files.put_new(key, body, "application/pdf")
            else:
                body = self.einvoices.xml(invoice, seller, xrechnung=True, payment_url=payment_url)
                self.files.put_new(key, body, "application/xml")
        return self.document_link(invoice, key, extension, self.link_seconds)
