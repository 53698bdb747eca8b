import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  Menu,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import { useDebouncedValue, useLocalStorage } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link as RouterLink, useLocation } from "react-router";

import { api, unwrap, type Schemas } from "../api/client";
import { formatDay } from "../format";
import { useTexts } from "../i18n";
import type { Messages } from "../i18n/en";

type Customer = Schemas["CustomerOut"];
type Column = keyof Messages["customers"]["column"];

const COLUMNS: Column[] = ["name", "type", "email", "debtor_number", "vat_id", "city", "created_at"];
const DEFAULT_COLUMNS: Column[] = ["name", "type", "email", "debtor_number", "city"];
const PAGE = 25;

function cell(customer: Customer, column: Column, t: Messages, locale: string): string {
  switch (column) {
    case "name":
      return customer.name;
    case "type":
      return t.customers.type[customer.type];
    case "email":
      return customer.email;
    case "debtor_number":
      return customer.debtor_number === null ? "" : String(customer.debtor_number);
    case "vat_id":
      return customer.vat_id;
    case "city":
      return customer.address.city;
    case "created_at":
      return formatDay(customer.created_at, locale);
  }
}

export function Customers() {
  const { t, locale } = useTexts();
  const notice = (useLocation().state as { notice?: string } | null)?.notice; // e.g. the customer just deleted
  const [search, setSearch] = useState("");
  const [archived, setArchived] = useState(false);
  const [debounced] = useDebouncedValue(search.trim(), 250);
  // Billow pages with cursors: the cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [columns, setColumns] = useLocalStorage<Column[]>({ key: "billow.customers.columns", defaultValue: DEFAULT_COLUMNS });
  const shown = COLUMNS.filter((column) => columns.includes(column));

  const page = useQuery({
    queryKey: ["customers", { search: debounced, archived, cursor }],
    queryFn: () =>
      unwrap(
        api.GET("/v1/customers", {
          params: { query: { search: debounced, archived, limit: PAGE, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const exported = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/customers/export")),
    onSuccess: (file) => window.location.assign(file.url),
  });

  const restart = () => setCursors([]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t.customers.title}
        </Title>
        <Group>
          <Menu closeOnItemClick={false}>
            <Menu.Target>
              <Button variant="default">{t.customers.columns}</Button>
            </Menu.Target>
            <Menu.Dropdown>
              {COLUMNS.map((column) => (
                <Menu.Item key={column} component="div">
                  <Checkbox
                    label={t.customers.column[column]}
                    checked={columns.includes(column)}
                    onChange={(event) =>
                      setColumns(
                        event.currentTarget.checked ? [...columns, column] : columns.filter((c) => c !== column),
                      )
                    }
                  />
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
          <Button variant="default" loading={exported.isPending} onClick={() => exported.mutate()}>
            {t.customers.export}
          </Button>
        </Group>
      </Group>
      <Group>
        <TextInput
          aria-label={t.customers.search}
          placeholder={t.customers.search}
          value={search}
          onChange={(event) => {
            setSearch(event.currentTarget.value);
            restart();
          }}
          w={360}
        />
        <Switch
          label={t.customers.archived}
          checked={archived}
          onChange={(event) => {
            setArchived(event.currentTarget.checked);
            restart();
          }}
        />
      </Group>
      {notice && (
        <Alert color="green" role="status">
          {notice}
        </Alert>
      )}
      {page.isError && <Alert color="red">{t.errors.load}</Alert>}
      <Table striped highlightOnHover aria-busy={page.isFetching}>
        <Table.Thead>
          <Table.Tr>
            {shown.map((column) => (
              <Table.Th key={column}>{t.customers.column[column]}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {page.data?.data.map((customer) => (
            <Table.Tr key={customer.id}>
              {shown.map((column) => (
                <Table.Td key={column}>
                  {column === "name" ? (
                    <Anchor component={RouterLink} to={`/customers/${customer.id}`}>
                      {customer.name}
                    </Anchor>
                  ) : (
                    cell(customer, column, t, locale)
                  )}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {page.data && page.data.data.length === 0 && <Text c="dimmed">{t.customers.empty}</Text>}
      <Group>
        <Button variant="default" disabled={cursors.length === 0} onClick={restart}>
          {t.customers.first}
        </Button>
        <Button
          variant="default"
          disabled={!page.data?.next_cursor}
          onClick={() => page.data?.next_cursor && setCursors([...cursors, page.data.next_cursor])}
        >
          {t.customers.next}
        </Button>
        <VisuallyHidden aria-live="polite">{page.isFetching ? "…" : ""}</VisuallyHidden>
      </Group>
    </Stack>
  );
}
