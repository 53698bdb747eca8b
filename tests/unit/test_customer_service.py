"""Customer use cases against in-memory fakes: debtor numbers, roles and tenants, archive and
restore, the timeline, delete and export."""

import io

import pytest
from openpyxl import load_workbook

from billing.adapters.xlsx import OpenpyxlWriter
from billing.domain.access import Caller, Role
from billing.domain.customers import EXPORT_COLUMNS, CustomerRecords
from billing.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from billing.domain.settings import TenantSettings
from billing.services.customers import CustomerExport, CustomerService
from tests.unit.fakes import (
    FixedClock,
    InMemoryCustomers,
    InMemoryFiles,
    InMemorySettings,
    NoProcessor,
    RegisteredVatIds,
)

ADMIN = Caller("acme", "u-admin", Role.ADMIN)
BILLING = Caller("acme", "u-billing", Role.BILLING)
VIEWER = Caller("acme", "u-viewer", Role.VIEWER)
OTHER_TENANT = Caller("globex", "u-other", Role.ADMIN)
COMPANY = {"type": "company", "company_name": "Muster GmbH", "email": "info@muster.de"}


@pytest.fixture
def repo():
    return InMemoryCustomers()


@pytest.fixture
def settings():
    return InMemorySettings()


@pytest.fixture
def files():
    return InMemoryFiles()


@pytest.fixture
def service(repo, settings, files):
    return CustomerService(repo, settings, FixedClock(), lambda: NoProcessor(), RegisteredVatIds)


def with_datev(settings, start=10000, end=69999):
    settings.saved["acme"] = TenantSettings(
        tenant_id="acme", datev_enabled=True, debtor_number_start=start, debtor_number_end=end
    )


def test_debtor_numbers_are_drawn_from_the_tenant_range_when_datev_is_on(service, settings):
    with_datev(settings)
    numbers = [service.create(BILLING, COMPANY).debtor_number for _ in range(3)]
    assert numbers == [10000, 10001, 10002]


def test_no_debtor_number_is_drawn_without_datev(service):
    assert service.create(BILLING, COMPANY).debtor_number is None


def test_drawing_skips_numbers_already_entered_by_hand(service, settings):
    with_datev(settings)
    service.create(BILLING, {**COMPANY, "debtor_number": 10000})
    service.create(BILLING, {**COMPANY, "debtor_number": 10001})
    assert service.create(BILLING, COMPANY).debtor_number == 10002


def test_hand_entered_debtor_number_must_be_unique_and_in_range(service, settings):
    with_datev(settings)
    service.create(BILLING, {**COMPANY, "debtor_number": 12345})
    with pytest.raises(Conflict, match="12345"):
        service.create(BILLING, {**COMPANY, "debtor_number": 12345})
    with pytest.raises(ValidationFailed) as error:
        service.create(BILLING, {**COMPANY, "debtor_number": 70000})
    assert error.value.errors[0].field == "debtor_number"


def test_debtor_numbers_are_unique_per_tenant_not_globally(service):
    service.create(BILLING, {**COMPANY, "debtor_number": 10000})
    assert service.create(OTHER_TENANT, {**COMPANY, "debtor_number": 10000}).debtor_number == 10000


def test_exhausted_range_is_a_clear_conflict(service, settings):
    with_datev(settings, start=10000, end=10001)
    service.create(BILLING, COMPANY)
    service.create(BILLING, COMPANY)
    with pytest.raises(Conflict, match="exhausted"):
        service.create(BILLING, COMPANY)


def test_changing_the_debtor_number_frees_the_old_one(service, settings):
    with_datev(settings)
    customer = service.create(BILLING, {**COMPANY, "debtor_number": 20000})
    service.update(BILLING, customer.id, {"debtor_number": 20001})
    assert service.create(BILLING, {**COMPANY, "debtor_number": 20000}).debtor_number == 20000


def test_viewer_reads_but_cannot_write(service):
    customer = service.create(BILLING, COMPANY)
    assert service.get(VIEWER, customer.id).id == customer.id
    for attempt in (
        lambda: service.create(VIEWER, COMPANY),
        lambda: service.update(VIEWER, customer.id, {"phone": "1"}),
        lambda: service.archive(VIEWER, customer.id),
        lambda: service.delete(VIEWER, customer.id),
    ):
        with pytest.raises(Forbidden):
            attempt()


def test_another_tenant_sees_nothing_whatever_id_it_sends(service):
    customer = service.create(BILLING, COMPANY)
    with pytest.raises(NotFound):
        service.get(OTHER_TENANT, customer.id)
    with pytest.raises(NotFound):
        service.update(OTHER_TENANT, customer.id, {"phone": "1"})
    with pytest.raises(NotFound):
        service.delete(OTHER_TENANT, customer.id)
    assert service.list(OTHER_TENANT).items == []


def test_archive_hides_from_default_list_and_restore_brings_back(service):
    customer = service.create(BILLING, COMPANY)
    service.archive(BILLING, customer.id)
    assert service.list(VIEWER).items == []
    assert [c.id for c in service.list(VIEWER, archived=True).items] == [customer.id]
    service.restore(BILLING, customer.id)
    assert [c.id for c in service.list(VIEWER).items] == [customer.id]


def test_timeline_records_created_updated_archived_restored_newest_first(service):
    customer = service.create(BILLING, COMPANY)
    service.update(BILLING, customer.id, {"phone": "+49 30 1234"})
    service.archive(BILLING, customer.id)
    service.restore(BILLING, customer.id)
    events = service.timeline(VIEWER, customer.id).items
    assert [e.type for e in events] == [
        "customer.restored",
        "customer.archived",
        "customer.updated",
        "customer.created",
    ]
    assert events[2].data == {"fields": ["phone"]}
    assert events[0].actor == "u-billing"


def test_delete_refused_while_records_refer_to_the_customer(service, repo):
    customer = service.create(BILLING, COMPANY)
    repo.records[("acme", customer.id)] = CustomerRecords(active_subscriptions=1, invoices=1)
    with pytest.raises(Conflict, match=r"1 active subscription.*1 invoice"):
        service.delete(ADMIN, customer.id)
    assert service.get(ADMIN, customer.id)


def test_delete_is_for_admins_and_irreversible(service):
    customer = service.create(BILLING, COMPANY)
    with pytest.raises(Forbidden):
        service.delete(BILLING, customer.id)
    service.delete(ADMIN, customer.id)
    with pytest.raises(NotFound):
        service.get(ADMIN, customer.id)


def test_export_writes_every_customer_with_its_billing_email_and_both_addresses(service, repo, files):
    service.create(
        BILLING,
        {
            **COMPANY,
            "billing_email": "ap@muster.de",
            "billing_address": {"city": "Köln"},
            "address": {"city": "Berlin"},
        },
    )
    archived = service.create(BILLING, {"type": "person", "first_name": "Ada", "last_name": "L"})
    service.archive(BILLING, archived.id)
    export = CustomerExport(repo, files, OpenpyxlWriter(), FixedClock()).export(VIEWER)
    assert export.rows == 2
    ((body, content_type),) = files.files.values()
    assert content_type.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(body)).active.values)
    assert rows[0] == tuple(EXPORT_COLUMNS)
    by_type = {r[1]: dict(zip(EXPORT_COLUMNS, r, strict=True)) for r in rows[1:]}
    company = by_type["company"]
    assert (company["billing_email"], company["billing_address_city"], company["customer_address_city"]) == (
        "ap@muster.de",
        "Köln",
        "Berlin",
    )
    assert by_type["person"]["archived"] is True
