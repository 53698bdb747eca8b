"""/v1/pricing/preview: price line items while the user edits them."""

from __future__ import annotations

from billing.bootstrap import pricing_service
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.schemas.pricing import PreviewOut, PreviewRequest, preview_out

router = ApiRouter()


@router.post(
    "/v1/pricing/preview",
    tags=["Pricing"],
    summary="Price line items: lines, due now, future payments, contract value, metrics, schedule",
)
def preview_pricing(body: PreviewRequest) -> PreviewOut:
    return preview_out(pricing_service().preview(caller_of(router), body.order()))
