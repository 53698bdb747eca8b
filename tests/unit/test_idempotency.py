"""The Idempotency-Key contract at the edge: a key still in use is a 409 idempotency_key_in_use,
a key reused with another body is a 422 naming the header."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from billing.domain.access import Caller, Role
from billing.domain.errors import ValidationFailed
from billing.http import idempotency
from billing.http.errors import STATUS_BY_ERROR
from billing.http.idempotency import IdempotencyKeyInUse, create_once

CALLER = Caller(tenant_id="t", user_id="u", role=Role.ADMIN)
ROUTER = SimpleNamespace(lambda_context=None)


class Config:
    def register_lambda_context(self, context) -> None:
        pass


def persistence_raising(error: Exception):
    def create_idempotently(*, request, create):
        raise error

    return lambda: (create_idempotently, Config())


def test_a_key_still_in_use_is_a_409_idempotency_key_in_use(monkeypatch):
    monkeypatch.setattr(idempotency, "_idempotent", persistence_raising(IdempotencyAlreadyInProgressError()))
    with pytest.raises(IdempotencyKeyInUse) as raised:
        create_once(ROUTER, CALLER, "k", "create_customer", {}, lambda: {})
    assert raised.value.code == "idempotency_key_in_use"
    assert next(s for cls, s in STATUS_BY_ERROR.items() if isinstance(raised.value, cls)) == 409


def test_a_key_reused_with_another_body_names_the_header(monkeypatch):
    monkeypatch.setattr(idempotency, "_idempotent", persistence_raising(IdempotencyValidationError()))
    with pytest.raises(ValidationFailed) as raised:
        create_once(ROUTER, CALLER, "k", "create_customer", {}, lambda: {})
    assert [e.field for e in raised.value.errors] == ["Idempotency-Key"]


def test_without_a_key_the_create_runs_directly(monkeypatch):
    monkeypatch.setattr(idempotency, "_idempotent", persistence_raising(AssertionError("never asked")))
    assert create_once(ROUTER, CALLER, None, "create_customer", {}, lambda: {"id": "cus_1"}) == {"id": "cus_1"}
