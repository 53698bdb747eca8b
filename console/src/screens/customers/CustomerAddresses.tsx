import { Alert, Badge, Button, Card, Group, Modal, SimpleGrid, Stack, Text } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { languageOf, useTexts } from "../../i18n";
import { showFailure } from "../../ui/forms";
import { AddressFields, addressLine, EMPTY_ADDRESS, type AddressValues, type Country } from "./AddressFields";

type Customer = Schemas["CustomerOut"];
type Address = Schemas["AddressOut"];

/** What the address form edits: one of the customer's addresses, a new one, or its billing address. */
type Editing = { kind: "address"; address: Address } | { kind: "new" } | { kind: "billing" };

function valuesOf(address: Address | null | undefined): AddressValues {
  if (!address) return EMPTY_ADDRESS;
  const { line1, line2, postal_code, city, state, country } = address;
  return { line1, line2, postal_code, city, state, country: country as Country };
}

/** The customer's addresses: the default one (recipient of invoices), the others, and a deviating
 *  billing address; each edited in place, a new one added, another made the default. */
export function CustomerAddresses({
  customer,
  writable,
  onChanged,
}: {
  customer: Customer;
  writable: boolean;
  onChanged: (customer: Customer) => void;
}) {
  const { t, locale } = useTexts();
  const language = languageOf(locale);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const path = { customer_id: customer.id };
  const makeDefault = async (address: Address) => {
    setFailure(null);
    try {
      onChanged(
        await unwrap(
          api.PATCH("/v1/customers/{customer_id}/addresses/{address_id}", {
            params: { path: { ...path, address_id: address.id } },
            body: { make_default: true },
          }),
        ),
      );
    } catch (error) {
      setFailure((error as Error).message);
    }
  };
  const removeBilling = async () => {
    setFailure(null);
    try {
      onChanged(await unwrap(api.PATCH("/v1/customers/{customer_id}", { params: { path }, body: { billing_address: null } })));
    } catch (error) {
      setFailure((error as Error).message);
    }
  };
  const save = async (values: AddressValues): Promise<Customer> => {
    if (editing?.kind === "address")
      return unwrap(
        api.PATCH("/v1/customers/{customer_id}/addresses/{address_id}", {
          params: { path: { ...path, address_id: editing.address.id } },
          body: values,
        }),
      );
    if (editing?.kind === "billing")
      return unwrap(api.PATCH("/v1/customers/{customer_id}", { params: { path }, body: { billing_address: values } }));
    return unwrap(api.POST("/v1/customers/{customer_id}/addresses", { params: { path }, body: values }));
  };
  const defaultId = customer.address.id;
  const addresses = customer.addresses.filter((address) => address.id);
  const title =
    editing?.kind === "new" ? t.customer.addAddress : editing?.kind === "billing" ? t.customer.billingAddress : t.customer.editAddress;
  return (
    <Stack>
      {failure && (
        <Alert color="red" role="alert">
          {t.common.failed} {failure}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
        {addresses.map((address) => {
          const line = addressLine(valuesOf(address), language) || t.customer.emptyAddress;
          return (
            <Card key={address.id} withBorder component="section" aria-label={line}>
              <Stack gap="xs">
                {address.id === defaultId && (
                  <Group gap="xs">
                    <Badge>{t.customer.defaultBadge}</Badge>
                  </Group>
                )}
                <Text>{line}</Text>
                {writable && (
                  <Group gap="xs">
                    <Button
                      size="compact-sm"
                      variant="default"
                      aria-label={t.customer.editAddressOf(line)}
                      onClick={() => setEditing({ kind: "address", address })}
                    >
                      {t.customer.editAddress}
                    </Button>
                    {address.id !== defaultId && (
                      <Button
                        size="compact-sm"
                        variant="default"
                        aria-label={t.customer.makeDefaultOf(line)}
                        onClick={() => void makeDefault(address)}
                      >
                        {t.customer.makeDefault}
                      </Button>
                    )}
                  </Group>
                )}
              </Stack>
            </Card>
          );
        })}
        {customer.billing_address && (
          <Card withBorder component="section" aria-label={t.customer.billingAddress}>
            <Stack gap="xs">
              <Group gap="xs">
                <Badge color="grape">{t.customer.billingBadge}</Badge>
              </Group>
              <Text>{addressLine(valuesOf(customer.billing_address), language)}</Text>
              {writable && (
                <Group gap="xs">
                  <Button size="compact-sm" variant="default" onClick={() => setEditing({ kind: "billing" })}>
                    {t.customer.editBillingAddress}
                  </Button>
                  <Button size="compact-sm" variant="default" onClick={() => void removeBilling()}>
                    {t.customer.removeBillingAddress}
                  </Button>
                </Group>
              )}
            </Stack>
          </Card>
        )}
      </SimpleGrid>
      {writable && (
        <Group>
          <Button variant="default" onClick={() => setEditing({ kind: "new" })}>
            {t.customer.addAddress}
          </Button>
          {!customer.billing_address && (
            <Button variant="default" onClick={() => setEditing({ kind: "billing" })}>
              {t.customer.addBillingAddress}
            </Button>
          )}
        </Group>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={title} closeButtonProps={{ "aria-label": t.common.close }}>
        {editing && (
          <AddressForm
            title={title}
            initial={
              editing.kind === "address"
                ? valuesOf(editing.address)
                : editing.kind === "billing"
                  ? valuesOf(customer.billing_address)
                  : EMPTY_ADDRESS
            }
            save={save}
            onCancel={() => setEditing(null)}
            onSaved={(next) => {
              setEditing(null);
              onChanged(next);
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}

function AddressForm({
  title,
  initial,
  save,
  onSaved,
  onCancel,
}: {
  title: string;
  initial: AddressValues;
  save: (values: AddressValues) => Promise<Customer>;
  onSaved: (customer: Customer) => void;
  onCancel: () => void;
}) {
  const { t } = useTexts();
  const form = useForm<AddressValues>({ initialValues: initial });
  const [failure, setFailure] = useState<string | null>(null);
  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    try {
      onSaved(await save(values));
    } catch (error) {
      setFailure(showFailure(form, error));
    }
  });
  return (
    <form onSubmit={submit} noValidate aria-label={title}>
      <Stack gap="sm">
        {failure && (
          <Alert color="red" role="alert">
            {failure}
          </Alert>
        )}
        <AddressFields form={form} path="" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t.common.cancel}
          </Button>
          <Button type="submit" loading={form.submitting}>
            {t.common.save}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
