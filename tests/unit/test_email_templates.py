"""The tenant's email templates: named placeholders only, checked when saved, bounded when filled."""

from __future__ import annotations

import pytest

from billing.domain.errors import ValidationFailed
from billing.domain.settings import TenantSettings, updated_settings
from billing.domain.templates import MAX_SUBJECT_LENGTH, filled, placeholder_errors

VALUES = {"number": "RE-2026-000001", "business_name": "Billow Demo GmbH", "total": "€119.00", "due_date": "2026-03-24"}


def test_each_placeholder_is_replaced_by_its_value():
    text = filled("Invoice {number} from {business_name}: {total}, due {due_date}", VALUES, 200)
    assert text == "Invoice RE-2026-000001 from Billow Demo GmbH: €119.00, due 2026-03-24"


@pytest.mark.parametrize(
    "template",
    [
        "Inv {number.__class__.__mro__}",
        "{number.__class__}",
        "{x.__dict__}",
        "{total:>3000}",
        "{total:>99999999}",
        "{number!r}",
        "{number[0]}",
        "{0}",
        "{}",
        "{ number }",
        "{NUMBER}",
    ],
)
def test_anything_but_a_placeholder_name_in_braces_is_refused_when_saved(template):
    errors = placeholder_errors("invoice_email_subject", template)
    assert [e.field for e in errors] == ["invoice_email_subject"]
    assert "unknown placeholder" in errors[0].message and "{number}" in errors[0].message
    with pytest.raises(ValidationFailed) as refused:
        updated_settings(TenantSettings(tenant_id="t1"), {"invoice_email_subject": template})
    assert [e.field for e in refused.value.errors] == ["invoice_email_subject"]


def test_the_message_is_checked_too_and_each_unknown_name_is_named_once():
    with pytest.raises(ValidationFailed) as refused:
        updated_settings(TenantSettings(tenant_id="t1"), {"invoice_email_message": "{a} {b} {a} {total}"})
    (error,) = refused.value.errors
    assert error.field == "invoice_email_message" and "{a}, {b}" in error.message


def test_text_without_placeholders_and_lone_braces_are_kept_as_written():
    assert placeholder_errors("invoice_email_subject", "Rechnung {number} } { ok") == []
    assert filled("Rechnung {number} } { ok", VALUES, 200) == "Rechnung RE-2026-000001 } { ok"


def test_a_template_saved_before_the_check_is_never_evaluated_and_the_result_is_bounded():
    """A stored template of the old kind fills its known names and leaves the rest as text."""
    assert filled("Inv {number.__class__.__mro__} {total:>3000}", VALUES, 200) == (
        "Inv {number.__class__.__mro__} {total:>3000}"
    )
    many = "{business_name}" * 100
    assert len(filled(many, VALUES, MAX_SUBJECT_LENGTH)) == MAX_SUBJECT_LENGTH
