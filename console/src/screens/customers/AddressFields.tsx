import { Group, Select, Stack, TextInput } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { useMemo } from "react";

import type { Schemas } from "../../api/client";
import { languageOf, useTexts } from "../../i18n";
import { countryOptions } from "../../ui/countries";

export interface AddressValues {
  line1: string;
  line2: string;
  postal_code: string;
  city: string;
  state: string;
  country: Country;
}

/** An ISO 3166 code, or "" for none (the API's own list). */
export type Country = NonNullable<Schemas["AddressIn"]["country"]>;

export const EMPTY_ADDRESS: AddressValues = { line1: "", line2: "", postal_code: "", city: "", state: "", country: "" };

export function isEmptyAddress(address: AddressValues): boolean {
  return Object.values(address).every((value: string) => value.trim() === "");
}

/** An address's inputs bound to ``path`` of the form ("address", "billing_address", or "" for an
 *  address form of its own), so the API's 422 ("address.city") lands beside its input. */
export function AddressFields<V>({ form, path }: { form: UseFormReturnType<V>; path: string }) {
  const { t, locale } = useTexts();
  const countries = useMemo(() => countryOptions(languageOf(locale)), [locale]);
  const at = (field: keyof AddressValues) => (path ? `${path}.${field}` : field);
  return (
    <Stack gap="xs">
      <TextInput label={t.customer.address.line1} autoComplete="off" {...form.getInputProps(at("line1"))} />
      <TextInput label={t.customer.address.line2} autoComplete="off" {...form.getInputProps(at("line2"))} />
      <Group grow align="flex-start">
        <TextInput label={t.customer.address.postal_code} autoComplete="off" {...form.getInputProps(at("postal_code"))} />
        <TextInput label={t.customer.address.city} autoComplete="off" {...form.getInputProps(at("city"))} />
      </Group>
      <Group grow align="flex-start">
        <Select
          label={t.customer.address.country}
          data={countries}
          searchable
          clearable
          {...form.getInputProps(at("country"))}
          value={(form.getInputProps(at("country")).value as string) || null}
          onChange={(value) => form.setFieldValue(at("country") as never, (value ?? "") as never)}
        />
        <TextInput label={t.customer.address.state} autoComplete="off" {...form.getInputProps(at("state"))} />
      </Group>
    </Stack>
  );
}

/** "Musterstr. 1, 20095 Hamburg, Deutschland" — one line for lists and headers. */
export function addressLine(address: Omit<AddressValues, "country"> & { country: string }, language: string): string {
  let country: string = address.country;
  if (country) {
    try {
      country = new Intl.DisplayNames([language], { type: "region" }).of(country) ?? country;
    } catch {
      // an unknown code is shown as it is
    }
  }
  const town = [address.postal_code, address.city].filter(Boolean).join(" ");
  return [address.line1, address.line2, town, address.state, country].filter(Boolean).join(", ");
}
