"""VIES, the EU's VAT Information Exchange System, through its REST API: whether a member state's
register holds a VAT id, with the request identifier (a consultation number when asked on behalf
of the seller's own VAT id) that proves the check in an audit. Locally the embedded stack's
stand-in answers at VIES_URL. The standard library's HTTP client is enough for one JSON POST."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from billing.domain.customers import VatIdCheck, VatIdStatus
from billing.observability import logger
from billing.ports import Clock

# VIES's answers that mean the register could not be asked, rather than that the id is unknown.
UNAVAILABLE_ERRORS = {"MS_UNAVAILABLE", "SERVICE_UNAVAILABLE", "TIMEOUT", "GLOBAL_MAX_CONCURRENT_REQ",
                      "MS_MAX_CONCURRENT_REQ", "IP_BLOCKED"}  # fmt: skip


class ViesRegistry:
    def __init__(self, base_url: str, clock: Clock, timeout_seconds: float = 8.0):
        self.url = base_url.rstrip("/") + "/check-vat-number"
        self.clock = clock
        self.timeout = timeout_seconds

    def check(self, vat_id: str, requester_vat_id: str) -> VatIdCheck:
        country, number = _split(vat_id)
        body = {"countryCode": country, "vatNumber": number}
        if requester_vat_id:
            body["requesterMemberStateCode"], body["requesterNumber"] = _split(requester_vat_id)
        request = urllib.request.Request(
            self.url, json.dumps(body).encode(), {"Content-Type": "application/json", "Accept": "application/json"}
        )
        now = self.clock.now()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.load(response)
        except (urllib.error.URLError, TimeoutError, ValueError, OSError) as error:
            logger.warning("VIES could not be asked", extra={"error": str(error), "vat_id": vat_id})
            return VatIdCheck(vat_id, VatIdStatus.UNAVAILABLE, now)
        valid = answer.get("valid", answer.get("isValid"))
        if valid is not True and answer.get("userError") in UNAVAILABLE_ERRORS:
            return VatIdCheck(vat_id, VatIdStatus.UNAVAILABLE, now, name=answer.get("userError", ""))
        status = VatIdStatus.CONFIRMED if valid is True else VatIdStatus.NOT_CONFIRMED
        name = answer.get("name") or ""
        return VatIdCheck(vat_id, status, now, answer.get("requestIdentifier") or "", "" if name == "---" else name)


def _split(vat_id: str) -> tuple[str, str]:
    """The member state VIES knows the id by (EL for Greece, which an id may write GR) and the rest."""
    country = vat_id[:2].upper()
    return ("EL" if country == "GR" else country), vat_id[2:]
