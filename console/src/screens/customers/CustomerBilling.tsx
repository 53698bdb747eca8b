import { Alert, Badge, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { formatDay, formatMoney } from "../../format";
import { useTexts } from "../../i18n";

type Customer = Schemas["CustomerOut"];

function Section({ title, empty, failed, rows, head }: { title: string; empty: string; failed: boolean; rows: ReactNode[] | undefined; head: string[] }) {
  const { t } = useTexts();
  return (
    <Stack gap="xs" component="section" aria-label={title}>
      <Title order={2} size="h4">
        {title}
      </Title>
      {failed && <Alert color="red">{t.errors.load}</Alert>}
      {rows && rows.length === 0 && <Text c="dimmed">{empty}</Text>}
      {rows && rows.length > 0 && (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              {head.map((label) => (
                <Table.Th key={label}>{label}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>{rows}</Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/** The customer's Payments tab: its subscriptions, invoices, payments and saved payment methods
 *  (the newest 25 of each; the full lists come with the billing screens). */
export function CustomerBilling({ customer }: { customer: Customer }) {
  const { t, locale } = useTexts();
  const query = { params: { query: { customer_id: customer.id, limit: 25 } } };
  const invoices = useQuery({ queryKey: ["invoices", "customer", customer.id], queryFn: () => unwrap(api.GET("/v1/invoices", query)) });
  const subscriptions = useQuery({
    queryKey: ["subscriptions", "customer", customer.id],
    queryFn: () => unwrap(api.GET("/v1/subscriptions", query)),
  });
  const payments = useQuery({ queryKey: ["payments", "customer", customer.id], queryFn: () => unwrap(api.GET("/v1/payments", query)) });
  const methods = useQuery({
    queryKey: ["payment-methods", customer.id],
    queryFn: () =>
      unwrap(api.GET("/v1/customers/{customer_id}/payment-methods", { params: { path: { customer_id: customer.id } } })),
  });
  const day = (value: string | null | undefined) => (value ? formatDay(value, locale) : t.customer.none);
  const c = t.customer.column;
  return (
    <Stack gap="xl">
      <Section
        title={t.customer.subscriptions}
        empty={t.customer.noSubscriptions}
        failed={subscriptions.isError}
        head={[c.status, c.frequency, c.nextPayment]}
        rows={subscriptions.data?.data.map((s) => (
          <Table.Tr key={s.id}>
            <Table.Td>
              <Badge variant="default">{t.statuses.subscription[s.status]}</Badge>
            </Table.Td>
            <Table.Td>{t.catalog.products.frequencies[s.frequency]}</Table.Td>
            <Table.Td>{day(s.next_payment_on)}</Table.Td>
          </Table.Tr>
        ))}
      />
      <Section
        title={t.customer.invoices}
        empty={t.customer.noInvoices}
        failed={invoices.isError}
        head={[c.number, c.status, c.issued, c.due, c.total, c.amountDue]}
        rows={invoices.data?.data.map((i) => (
          <Table.Tr key={i.id}>
            <Table.Td>{i.number ?? t.customer.draft}</Table.Td>
            <Table.Td>
              <Group gap={4}>
                <Badge variant="default">{t.statuses.invoice[i.status]}</Badge>
                {i.overdue && <Badge color="red">{t.statuses.overdue}</Badge>}
              </Group>
            </Table.Td>
            <Table.Td>{day(i.issued_on)}</Table.Td>
            <Table.Td>{day(i.due_date)}</Table.Td>
            <Table.Td ta="right">{formatMoney(i.total, i.currency, locale)}</Table.Td>
            <Table.Td ta="right">{formatMoney(i.amount_due, i.currency, locale)}</Table.Td>
          </Table.Tr>
        ))}
      />
      <Section
        title={t.customer.payments}
        empty={t.customer.noPayments}
        failed={payments.isError}
        head={[c.date, c.status, c.method, c.amount]}
        rows={payments.data?.data.map((p) => (
          <Table.Tr key={p.id}>
            <Table.Td>{day(p.created_at)}</Table.Td>
            <Table.Td>
              <Badge variant="default">{t.statuses.payment[p.status]}</Badge>
            </Table.Td>
            <Table.Td>{p.description || p.method}</Table.Td>
            <Table.Td ta="right">{formatMoney(p.amount, p.currency, locale)}</Table.Td>
          </Table.Tr>
        ))}
      />
      <Section
        title={t.customer.paymentMethods}
        empty={t.customer.noPaymentMethods}
        failed={methods.isError}
        head={[c.kind, c.details]}
        rows={methods.data?.data.map((m) => (
          <Table.Tr key={m.id}>
            <Table.Td>
              {m.description || m.brand || m.type} {m.is_default && <Badge ml="xs">{t.customer.defaultMethod}</Badge>}
            </Table.Td>
            <Table.Td>
              {[
                m.last4 && `•••• ${m.last4}`,
                m.exp_month && m.exp_year && t.customer.expires(m.exp_month, m.exp_year),
                m.mandate_reference && t.customer.mandate(m.mandate_reference),
              ]
                .filter(Boolean)
                .join(" · ")}
            </Table.Td>
          </Table.Tr>
        ))}
      />
    </Stack>
  );
}
