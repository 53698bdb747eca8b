import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { useTexts } from "../../i18n";
import { newIdempotencyKey, showFailure } from "../../ui/forms";
import { AddressFields, EMPTY_ADDRESS, isEmptyAddress, type AddressValues, type Country } from "./AddressFields";

type Customer = Schemas["CustomerOut"];
type CustomerType = Customer["type"];
type Treatment = NonNullable<Customer["vat_treatment"]>;
const TREATMENTS: Treatment[] = ["domestic", "reverse_charge", "eu_consumer", "outside_eu", "small_business"];

interface Values {
  type: CustomerType;
  first_name: string;
  last_name: string;
  company_name: string;
  email: string;
  phone: string;
  vat_id: string;
  vat_treatment: Treatment | ""; // "": decided per invoice from the address and VAT ID
  billing_email: string;
  debtor_number: number | string; // "" while empty: drawn from the DATEV range
  address: AddressValues;
  deviating_billing_address: boolean;
  billing_address: AddressValues;
}

function valuesOf(customer: Customer | undefined): Values {
  const address = (a: Schemas["AddressOut"] | null | undefined): AddressValues =>
    a
      ? { line1: a.line1, line2: a.line2, postal_code: a.postal_code, city: a.city, state: a.state, country: a.country as Country }
      : EMPTY_ADDRESS;
  return {
    type: customer?.type ?? "company",
    first_name: customer?.first_name ?? "",
    last_name: customer?.last_name ?? "",
    company_name: customer?.company_name ?? "",
    email: customer?.email ?? "",
    phone: customer?.phone ?? "",
    vat_id: customer?.vat_id ?? "",
    vat_treatment: customer?.vat_treatment ?? "",
    billing_email: customer?.billing_email ?? "",
    debtor_number: customer?.debtor_number ?? "",
    address: address(customer?.address),
    deviating_billing_address: Boolean(customer?.billing_address),
    billing_address: address(customer?.billing_address),
  };
}

function debtorNumber(value: number | string): number | null {
  return typeof value === "number" ? value : null;
}

/** A new customer (person or company, its address, a deviating billing email and address, the
 *  DATEV debtor number typed or drawn), or an existing one's master data (its addresses are
 *  edited one by one on its page). */
export function CustomerForm({
  customer,
  onSaved,
  onCancel,
}: {
  customer?: Customer;
  onSaved: (customer: Customer) => void;
  onCancel: () => void;
}) {
  const { t } = useTexts();
  const form = useForm<Values>({ initialValues: valuesOf(customer) });
  const [failure, setFailure] = useState<string | null>(null);
  const [key] = useState(newIdempotencyKey);
  const settings = useQuery({ queryKey: ["settings"], queryFn: () => unwrap(api.GET("/v1/settings")) });
  const values = form.getValues();
  const company = values.type === "company";

  const submit = form.onSubmit(async (v) => {
    setFailure(null);
    const names = company
      ? { company_name: v.company_name.trim() }
      : { first_name: v.first_name.trim(), last_name: v.last_name.trim() };
    const common = {
      ...names,
      email: v.email,
      phone: v.phone,
      vat_id: v.vat_id,
      vat_treatment: v.vat_treatment || null,
      billing_email: v.billing_email,
    };
    try {
      const saved = customer
        ? await unwrap(
            api.PATCH("/v1/customers/{customer_id}", {
              params: { path: { customer_id: customer.id } },
              body: { ...common, debtor_number: debtorNumber(v.debtor_number) },
            }),
          )
        : await unwrap(
            api.POST("/v1/customers", {
              params: { header: { "Idempotency-Key": key } },
              body: {
                type: v.type,
                ...common,
                ...(debtorNumber(v.debtor_number) !== null ? { debtor_number: debtorNumber(v.debtor_number) } : {}),
                ...(isEmptyAddress(v.address) ? {} : { address: v.address }),
                ...(v.deviating_billing_address ? { billing_address: v.billing_address } : {}),
              },
            }),
          );
      onSaved(saved);
    } catch (error) {
      setFailure(showFailure(form, error));
    }
  });

  const range = settings.data?.datev_enabled
    ? t.customer.debtorFromRange(settings.data.debtor_number_start, settings.data.debtor_number_end)
    : t.customer.debtorOptional;
  return (
    <form onSubmit={submit} noValidate aria-label={customer ? t.customer.editTitle : t.customer.newTitle}>
      <Stack gap="sm">
        {failure && (
          <Alert color="red" role="alert">
            {failure}
          </Alert>
        )}
        {!customer && (
          <SegmentedControl
            aria-label={t.customer.kind}
            data={[
              { value: "company", label: t.customers.type.company },
              { value: "person", label: t.customers.type.person },
            ]}
            {...form.getInputProps("type")}
          />
        )}
        {company ? (
          <TextInput label={t.customer.companyName} required data-autofocus {...form.getInputProps("company_name")} />
        ) : (
          <Group grow align="flex-start">
            <TextInput label={t.customer.firstName} required data-autofocus {...form.getInputProps("first_name")} />
            <TextInput label={t.customer.lastName} required {...form.getInputProps("last_name")} />
          </Group>
        )}
        <Group grow align="flex-start">
          <TextInput label={t.customer.email} type="email" {...form.getInputProps("email")} />
          <TextInput label={t.customer.phone} type="tel" {...form.getInputProps("phone")} />
        </Group>
        <Group grow align="flex-start">
          <TextInput label={t.customer.vatId} description={t.customer.vatIdHelp} {...form.getInputProps("vat_id")} />
          <NumberInput
            label={t.customer.debtorNumber}
            description={range}
            allowDecimal={false}
            allowNegative={false}
            hideControls
            {...form.getInputProps("debtor_number")}
          />
        </Group>
        <Select
          label={t.customer.vatTreatment}
          data={[
            { value: "", label: t.customer.vatTreatmentAuto },
            ...TREATMENTS.map((value) => ({ value, label: t.customer.vatTreatments[value] })),
          ]}
          allowDeselect={false}
          {...form.getInputProps("vat_treatment")}
        />
        <TextInput
          label={t.customer.billingEmail}
          description={t.customer.billingEmailHelp}
          type="email"
          {...form.getInputProps("billing_email")}
        />
        {!customer && (
          <>
            <Fieldset legend={t.customer.recipientAddress} variant="unstyled">
              <AddressFields form={form} path="address" />
            </Fieldset>
            <Checkbox
              label={t.customer.deviatingBillingAddress}
              {...form.getInputProps("deviating_billing_address", { type: "checkbox" })}
            />
            {values.deviating_billing_address && (
              <Fieldset legend={t.customer.billingAddress} variant="unstyled">
                <AddressFields form={form} path="billing_address" />
              </Fieldset>
            )}
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t.common.cancel}
          </Button>
          <Button type="submit" loading={form.submitting}>
            {customer ? t.common.save : t.customer.create}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
