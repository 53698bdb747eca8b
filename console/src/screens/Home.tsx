import { Anchor, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { api, unwrap, type Schemas } from "../api/client";
import { formatDay, formatMoment, formatMoney } from "../format";
import { useTexts } from "../i18n";

const SHOWN = 5;

function Attention({ title, rows, more }: { title: string; rows: React.ReactNode[] | undefined; more: boolean }) {
  const { t } = useTexts();
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={2} size="h5" mb="xs">
        {title}
      </Title>
      {rows === undefined ? (
        <Text c="dimmed">…</Text>
      ) : rows.length === 0 ? (
        <Text c="dimmed">{t.home.none}</Text>
      ) : (
        <Stack gap={4}>
          {rows}
          {more && <Text size="sm" c="dimmed">+ {t.home.more}</Text>}
        </Stack>
      )}
    </Card>
  );
}

function InvoiceRow({ invoice }: { invoice: Schemas["InvoiceOut"] }) {
  const { locale } = useTexts();
  return (
    <Group justify="space-between" wrap="nowrap">
      <Text size="sm">{invoice.number}</Text>
      <Text size="sm">{invoice.due_date ? formatDay(invoice.due_date, locale) : ""}</Text>
      <Text size="sm" fw={500}>
        {formatMoney(invoice.amount_due, invoice.currency, locale)}
      </Text>
    </Group>
  );
}

export function Home() {
  const { t, locale } = useTexts();
  const overdue = useQuery({
    queryKey: ["invoices", { overdue: true }],
    queryFn: () => unwrap(api.GET("/v1/invoices", { params: { query: { overdue: true, limit: SHOWN } } })),
  });
  const open = useQuery({
    queryKey: ["invoices", { status: "open" }],
    queryFn: () => unwrap(api.GET("/v1/invoices", { params: { query: { status: "open", limit: SHOWN } } })),
  });
  const unpaid = useQuery({
    queryKey: ["subscriptions", { status: "unpaid" }],
    queryFn: () => unwrap(api.GET("/v1/subscriptions", { params: { query: { status: "unpaid", limit: SHOWN } } })),
  });
  const runs = useQuery({
    queryKey: ["billing-runs", { limit: 1 }],
    queryFn: () => unwrap(api.GET("/v1/billing-runs", { params: { query: { limit: 1 } } })),
  });
  const lastRun = runs.data?.data[0];
  return (
    <Stack>
      <Title order={1} size="h2">
        {t.home.title}
      </Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Attention
          title={t.home.overdue}
          rows={overdue.data?.data.map((invoice) => <InvoiceRow key={invoice.id} invoice={invoice} />)}
          more={Boolean(overdue.data?.next_cursor)}
        />
        <Attention
          title={t.home.open}
          rows={open.data?.data.map((invoice) => <InvoiceRow key={invoice.id} invoice={invoice} />)}
          more={Boolean(open.data?.next_cursor)}
        />
        <Attention
          title={t.home.unpaid}
          rows={unpaid.data?.data.map((subscription) => (
            <Anchor key={subscription.id} component={Link} to={`/customers/${subscription.customer_id}`} size="sm">
              {subscription.lines.map((line) => line.name).join(", ")}
            </Anchor>
          ))}
          more={Boolean(unpaid.data?.next_cursor)}
        />
        <Attention
          title={t.home.lastRun}
          rows={
            runs.data === undefined
              ? undefined
              : lastRun
                ? [
                    <Text key="run" size="sm">
                      {formatMoment(lastRun.started_at, locale)} · {t.home.failures(lastRun.failed)}
                      {lastRun.last_error ? ` · ${lastRun.last_error}` : ""}
                    </Text>,
                  ]
                : [<Text key="none" size="sm" c="dimmed">{t.home.noRun}</Text>]
          }
          more={false}
        />
      </SimpleGrid>
    </Stack>
  );
}
