"""/v1/exports/datev: what the tax adviser imports into DATEV for a period."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from billing.bootstrap import invoicing
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.routers.common import created_export, created_response, public_base
from billing.http.schemas.customers import ExportOut
from billing.http.schemas.datev import DatevExportRequest

router = ApiRouter()


@router.post(
    "/v1/exports/datev",
    tags=["Exports"],
    summary="DATEV export of a period: a ZIP with the EXTF Buchungsstapel, the debtors and the documents' PDFs",
    description="The period's invoices and credit notes (each per VAT rate on the customer's debtor account against "
    "the revenue account of its rate and treatment), its payments and refunds, as EXTF files in Windows-1252; "
    "`rows` counts the bookings. 409 names each setting DATEV lacks and each customer without a debtor number.",
    responses=created_response(ExportOut),
)
def export_datev(body: DatevExportRequest) -> Response[ExportOut]:
    export = invoicing().datev.export(caller_of(router), body.start, body.end, public_base(router))
    return created_export(export)
