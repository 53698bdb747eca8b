"""A VIES stand-in for the embedded stack: the REST API's ``POST /check-vat-number`` as the EU's
service answers it. An id is registered when its format and check digit are right
(python-stdnum), unless a test unregistered it; a switch makes the service unavailable, as the
member states' registers often are.

Test switches (under /_standin/, never part of VIES): ``POST /_standin/unregister`` with
``{"vat_id": ...}``, ``POST /_standin/unavailable`` with ``{"on": true|false}``."""

from __future__ import annotations

import json
import secrets
import threading
from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response


class ViesStandIn:
    def __init__(self):
        self.unregistered: set[str] = set()
        self.unavailable = False
        self.asked: list[dict] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_json(silent=True) or {}
        if request.path == "/_standin/unregister":
            self.unregistered.add(str(body.get("vat_id", "")).upper())
            return _json({"unregistered": sorted(self.unregistered)})(environ, start_response)
        if request.path == "/_standin/unavailable":
            self.unavailable = bool(body.get("on", True))
            return _json({"unavailable": self.unavailable})(environ, start_response)
        if request.method != "POST" or not request.path.endswith("/check-vat-number"):
            return _json({"errorWrappers": [{"error": "NOT_FOUND"}]}, 404)(environ, start_response)
        with self._lock:
            self.asked.append(body)
        return _json(self.answer(body))(environ, start_response)

    def answer(self, body: dict) -> dict:
        from stdnum.eu import vat

        country, number = str(body.get("countryCode", "")), str(body.get("vatNumber", ""))
        answer = {
            "countryCode": country,
            "vatNumber": number,
            "requestDate": datetime.now(UTC).isoformat(),
            "name": "---",
            "address": "---",
        }
        if self.unavailable:
            return answer | {"valid": False, "userError": "MS_UNAVAILABLE"}
        valid = vat.is_valid(country + number) and (country + number).upper() not in self.unregistered
        answer |= {"valid": valid, "userError": "VALID" if valid else "INVALID"}
        if valid:
            answer["name"] = f"Registered trader {country}{number}"
        if body.get("requesterNumber"):
            answer["requestIdentifier"] = "WAPI" + secrets.token_hex(6).upper()
        return answer


def _json(value: dict, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, content_type="application/json")
