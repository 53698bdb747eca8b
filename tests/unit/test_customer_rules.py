"""The customer's own rules, pure: required fields by type, the default and billing addresses,
edits and read-only customers, and when a customer may be deleted."""

from datetime import UTC, datetime

import pytest

from billing.domain.customers import (
    DEFAULT_ADDRESS,
    Address,
    CustomerRecords,
    CustomerType,
    added_address,
    deletion_refusal,
    edited_address,
    new_customer,
    updated_customer,
)
from billing.domain.errors import Forbidden, NotFound, ValidationFailed

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_person_needs_first_and_last_name_and_company_its_name():
    with pytest.raises(ValidationFailed) as error:
        new_customer("t", NOW, CustomerType.PERSON, company_name="Acme")
    assert [e.field for e in error.value.errors] == ["first_name", "last_name"]
    with pytest.raises(ValidationFailed) as error:
        new_customer("t", NOW, CustomerType.COMPANY, first_name="Ada", last_name="L")
    assert [e.field for e in error.value.errors] == ["company_name"]


def test_without_an_address_an_empty_default_address_is_created():
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Acme")
    assert len(customer.addresses) == 1
    assert customer.default_address == Address(id=customer.default_address.id)
    assert customer.billing_address == customer.default_address


def test_deviating_billing_email_and_address_are_used_for_invoices():
    customer = new_customer(
        "t",
        NOW,
        CustomerType.COMPANY,
        company_name="Acme",
        email="info@acme.de",
        billing_email="ap@acme.de",
        address={"line1": "Hauptstr. 1", "city": "Berlin"},
        billing_address={"line1": "Postfach 9", "city": "Köln"},
    )
    assert customer.invoice_email == "ap@acme.de"
    assert customer.billing_address.city == "Köln"
    assert customer.default_address.city == "Berlin"


def test_editing_the_default_address_reaches_subscriptions_that_follow_it_but_not_others():
    # Given a customer with a second address that one subscription chose explicitly
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Acme", address={"city": "Berlin"})
    customer, branch = added_address(customer, NOW, {"city": "Hamburg"})
    follows_default, follows_by_id, chose_other = DEFAULT_ADDRESS, customer.default_address_id, branch.id
    # When the default address is edited
    edited = updated_customer(customer, NOW, {"address": {"city": "München"}})
    # Then subscriptions following the default (by name or id) see the edit; the explicit choice keeps its address
    assert edited.address_for_subscription(follows_default).city == "München"
    assert edited.address_for_subscription(follows_by_id).city == "München"
    assert edited.address_for_subscription(chose_other).city == "Hamburg"


def test_any_address_is_edited_in_place_and_one_can_become_the_default():
    # Given a customer whose branch address a subscription chose explicitly
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Acme", address={"city": "Berlin"})
    customer, branch = added_address(customer, NOW, {"city": "Hamburg", "postal_code": "20095"})
    head_office = customer.default_address_id
    # When the branch is corrected, then made the default
    edited = edited_address(customer, NOW, branch.id, {"line1": "Kai 1"}, make_default=False)
    assert edited.addresses[branch.id].line1 == "Kai 1" and edited.addresses[branch.id].city == "Hamburg"
    assert edited.default_address_id == head_office
    promoted = edited_address(edited, NOW, branch.id, {}, make_default=True)
    # Then the default is the branch; the head office stays among the addresses
    assert (
        promoted.default_address.city == "Hamburg"
        and promoted.address_for_subscription(DEFAULT_ADDRESS).line1 == "Kai 1"
    )
    assert promoted.addresses[head_office].city == "Berlin"


def test_editing_an_address_the_customer_does_not_have_is_not_found():
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Acme")
    with pytest.raises(NotFound, match="address addr_nope"):
        edited_address(customer, NOW, "addr_nope", {"city": "Köln"}, make_default=False)


def test_billing_address_can_be_removed_with_null():
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="A", billing_address={"city": "Köln"})
    edited = updated_customer(customer, NOW, {"billing_address": None})
    assert edited.billing_address_id is None
    assert len(edited.addresses) == 1


def test_read_only_customer_cannot_be_edited():
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="A", read_only=True)
    with pytest.raises(Forbidden):
        updated_customer(customer, NOW, {"company_name": "B"})


def test_edit_that_blanks_a_required_name_is_refused():
    customer = new_customer("t", NOW, CustomerType.PERSON, first_name="Ada", last_name="Lovelace")
    with pytest.raises(ValidationFailed) as error:
        updated_customer(customer, NOW, {"last_name": " "})
    assert error.value.errors[0].field == "last_name"


def test_deletion_is_refused_with_every_reason():
    refusal = deletion_refusal(CustomerRecords(active_subscriptions=1, invoices=2, completed_orders=0, payments=3))
    assert refusal.reasons == [
        "customer has 1 active subscription(s)",
        "customer has 2 invoice(s)",
        "customer has 3 payment(s)",
    ]
    assert not deletion_refusal(CustomerRecords())
