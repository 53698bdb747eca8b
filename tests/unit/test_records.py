"""One mapping by field name (billing.domain.records): what a record becomes in JSON and DynamoDB,
and back, for every kind of field the domain uses."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

import pytest

from billing.domain.customers import Address, Customer, CustomerType
from billing.domain.records import plain, record_of, values_of
from billing.domain.settings import TenantSettings


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Part:
    name: str
    price: Decimal
    on: date | None = None


@dataclass(frozen=True)
class Whole:
    id: str
    colour: Colour
    at: datetime
    parts: tuple[Part, ...] = ()
    by_name: dict[str, Part] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    count: int = 0
    note: str = ""
    maybe: Decimal | None = None
    data: dict = field(default_factory=dict)


WHOLE = Whole(
    id="w1",
    colour=Colour.RED,
    at=datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
    parts=(Part("a", Decimal("11.90"), date(2026, 3, 31)), Part("b", Decimal("0.000001"))),
    by_name={"x": Part("x", Decimal("2"))},
    tags=("one", "two"),
    count=3,
    data={"nested": [1, "two"]},
)


def test_a_record_becomes_json_values_that_keep_every_digit_and_read_back_equal():
    values = plain(WHOLE)
    assert values["colour"] == "red"
    assert values["at"] == "2026-03-01T12:30:00+00:00"
    assert values["parts"][0] == {"name": "a", "price": "11.90", "on": "2026-03-31"}
    assert values["parts"][1]["price"] == "0.000001"
    assert values["tags"] == ["one", "two"]
    assert record_of(Whole, values) == WHOLE


def test_values_of_takes_only_the_names_asked_and_may_keep_datetimes_for_the_store():
    values = values_of(WHOLE, ["id", "at", "missing", "count"], keep_datetimes=True)
    assert values == {"id": "w1", "at": WHOLE.at, "count": 3}


def test_absent_values_take_the_defaults_and_stored_nulls_read_as_empty_text():
    read = record_of(Whole, {"id": "w2", "colour": "red", "at": "2026-01-01T00:00:00", "note": None})
    assert read.parts == () and read.count == 0 and read.note == ""
    assert read.at.tzinfo is UTC  # a naive stored time is UTC


def test_overrides_are_taken_as_given():
    assert record_of(Whole, plain(WHOLE), id="other").id == "other"


def test_a_value_with_no_plain_form_is_refused_not_guessed():
    with pytest.raises(TypeError):
        plain(object())


def test_the_customer_and_the_settings_survive_the_round_trip():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    customer = Customer(
        tenant_id="t",
        id="cus_1",
        type=CustomerType.COMPANY,
        created_at=now,
        updated_at=now,
        company_name="Acme",
        addresses={"adr_1": Address("adr_1", city="Berlin"), "adr_2": Address("adr_2", country="DE")},
        default_address_id="adr_1",
        billing_address_id="adr_2",
        debtor_number=10001,
        version=4,
    )
    assert record_of(Customer, plain(customer)) == customer
    assert list(record_of(Customer, plain(customer)).addresses) == ["adr_1", "adr_2"]
    settings = TenantSettings(tenant_id="t", currencies=("eur", "usd"), invoice_number_digits=4)
    assert record_of(TenantSettings, plain(settings)) == settings


def test_every_field_of_a_stored_record_has_its_attribute_on_the_item():
    """A field the item lacks would be dropped on every save without a word (one mapping by name)."""
    import dataclasses

    from billing.adapters.dynamodb import models
    from billing.domain.billing_runs import BillingRun
    from billing.domain.invoices import Invoice
    from billing.domain.payments import Payment
    from billing.domain.subscriptions import Subscription

    pairs = [
        (Subscription, models.SubscriptionItem),
        (Invoice, models.InvoiceItem),
        (Payment, models.PaymentItem),
        (BillingRun, models.BillingRunItem),
    ]
    # A credit note is drawn as an invoice for its PDF and e-invoice; what it corrects is stored on the note.
    drawn_only = {"corrects"}
    for record, item in pairs:
        fields = [f.name for f in dataclasses.fields(record) if f.name not in drawn_only]
        missing = [name for name in fields if name not in item.get_attributes()]
        assert missing == [], f"{item.__name__} lacks {missing}"
