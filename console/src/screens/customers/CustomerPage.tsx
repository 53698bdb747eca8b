import { Alert, Anchor, Badge, Button, Group, Loader, Menu, Modal, SimpleGrid, Stack, Tabs, Text, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router";

import { api, ApiFailure, unwrap, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { formatDay } from "../../format";
import { languageOf, useTexts } from "../../i18n";
import { ConfirmModal, NoticeLines, useNotices, type Confirmation } from "../../ui/parts";
import { addressLine } from "./AddressFields";
import { CustomerAddresses } from "./CustomerAddresses";
import { CustomerBilling } from "./CustomerBilling";
import { CustomerForm } from "./CustomerForm";
import { CustomerTimeline } from "./CustomerTimeline";

type Customer = Schemas["CustomerOut"];

/** One customer, as fynn's customer page and HighLevel's contact page show one: its data and
 *  addresses, its invoices, subscriptions and payments, what happened to it, and what to do next. */
export function CustomerPage() {
  const { customerId = "" } = useParams();
  const { t } = useTexts();
  const { may } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [asked, setAsked] = useState<Confirmation | null>(null);
  const [editing, setEditing] = useState(false);
  const notices = useNotices();
  const key = ["customer", customerId];
  const query = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/v1/customers/{customer_id}", { params: { path: { customer_id: customerId } } })),
    retry: (count, error) => !(error instanceof ApiFailure && error.status === 404) && count < 1,
  });
  if (query.isPending) return <Loader aria-label="…" />;
  if (query.isError || !query.data) {
    const missing = query.error instanceof ApiFailure && query.error.status === 404;
    return <Alert color="red">{missing ? t.customer.notFound : t.errors.load}</Alert>;
  }
  const customer = query.data;
  const path = { params: { path: { customer_id: customer.id } } };
  const changed = (next: Customer, text: string) => {
    queryClient.setQueryData(key, next);
    void queryClient.invalidateQueries({ queryKey: ["customers"] });
    void queryClient.invalidateQueries({ queryKey: ["customer-timeline", customer.id] });
    notices.tell(text);
  };
  const attempt = (run: () => Promise<unknown>) => async () => {
    try {
      await run();
    } catch (error) {
      notices.fail(error as Error);
    }
  };
  const writable = may("write") && !customer.read_only;
  const archive = () =>
    setAsked({
      title: t.customer.archiveTitle,
      text: t.customer.archiveText(customer.name),
      action: t.customer.archive,
      danger: false,
      run: attempt(async () =>
        changed(await unwrap(api.POST("/v1/customers/{customer_id}/archive", path)), t.customer.archivedNotice),
      ),
    });
  const restore = () =>
    setAsked({
      title: t.customer.restoreTitle,
      text: t.customer.restoreText(customer.name),
      action: t.customer.restore,
      danger: false,
      run: attempt(async () =>
        changed(await unwrap(api.POST("/v1/customers/{customer_id}/restore", path)), t.customer.restoredNotice),
      ),
    });
  const remove = () =>
    setAsked({
      title: t.customer.deleteTitle,
      text: t.customer.deleteText(customer.name),
      action: t.customer.delete,
      danger: true,
      run: attempt(async () => {
        await unwrap(api.DELETE("/v1/customers/{customer_id}", path));
        queryClient.removeQueries({ queryKey: key });
        void queryClient.invalidateQueries({ queryKey: ["customers"] });
        void navigate("/customers", { state: { notice: t.customer.deletedNotice(customer.name) } });
      }),
    });
  return (
    <Stack>
      <Anchor component={RouterLink} to="/customers" size="sm">
        ← {t.customer.back}
      </Anchor>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Group gap="sm">
            <Title order={1} size="h2">
              {customer.name}
            </Title>
            <Badge variant="default">{t.customers.type[customer.type]}</Badge>
            {customer.archived && <Badge color="gray">{t.customer.archivedBadge}</Badge>}
            {customer.read_only && <Badge color="gray">{t.customer.readOnlyBadge}</Badge>}
          </Group>
          <Text c="dimmed" size="sm">
            {[customer.debtor_number && `${t.customer.debtorNumber} ${customer.debtor_number}`, customer.email]
              .filter(Boolean)
              .join(" · ")}
          </Text>
        </Stack>
        {writable && (
          <Menu position="bottom-end">
            <Menu.Target>
              <Button>{t.customer.actions}</Button>
            </Menu.Target>
            <Menu.Dropdown>
              {!customer.archived && (
                <>
                  <Menu.Item onClick={() => setEditing(true)}>{t.customer.edit}</Menu.Item>
                  <Menu.Divider />
                  <Menu.Item onClick={archive}>{t.customer.archive}</Menu.Item>
                </>
              )}
              {customer.archived && <Menu.Item onClick={restore}>{t.customer.restore}</Menu.Item>}
              {may("administer") && (
                <Menu.Item color="red" onClick={remove}>
                  {t.customer.delete}
                </Menu.Item>
              )}
            </Menu.Dropdown>
          </Menu>
        )}
      </Group>
      <NoticeLines notices={notices} onClose={notices.clear} />
      <Tabs defaultValue="data" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="data">{t.customer.tabs.data}</Tabs.Tab>
          <Tabs.Tab value="addresses">{t.customer.tabs.addresses}</Tabs.Tab>
          <Tabs.Tab value="billing">{t.customer.tabs.billing}</Tabs.Tab>
          <Tabs.Tab value="timeline">{t.customer.tabs.timeline}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="data" pt="md">
          <CustomerData customer={customer} />
        </Tabs.Panel>
        <Tabs.Panel value="addresses" pt="md">
          <CustomerAddresses customer={customer} writable={writable} onChanged={(next) => changed(next, t.customer.saved)} />
        </Tabs.Panel>
        <Tabs.Panel value="billing" pt="md">
          <CustomerBilling customer={customer} />
        </Tabs.Panel>
        <Tabs.Panel value="timeline" pt="md">
          <CustomerTimeline customerId={customer.id} />
        </Tabs.Panel>
      </Tabs>
      <Modal
        opened={editing}
        onClose={() => setEditing(false)}
        title={t.customer.editTitle}
        size="lg"
        closeButtonProps={{ "aria-label": t.common.close }}
      >
        {editing && (
          <CustomerForm
            customer={customer}
            onCancel={() => setEditing(false)}
            onSaved={(next) => {
              setEditing(false);
              changed(next, t.customer.saved);
            }}
          />
        )}
      </Modal>
      <ConfirmModal asked={asked} onClose={() => setAsked(null)} />
    </Stack>
  );
}

function CustomerData({ customer }: { customer: Customer }) {
  const { t, locale } = useTexts();
  const language = languageOf(locale);
  const check = customer.vat_id_check;
  const rows: [string, string][] = [
    [t.customer.email, customer.email],
    [t.customer.phone, customer.phone],
    [t.customer.billingEmail, customer.billing_email],
    [
      t.customer.vatId,
      customer.vat_id && check && check.vat_id === customer.vat_id
        ? `${customer.vat_id} (${t.customer.vatIdChecks[check.status]}, ${formatDay(check.checked_at, locale)})`
        : customer.vat_id,
    ],
    [
      t.customer.vatTreatment,
      customer.vat_treatment ? t.customer.vatTreatments[customer.vat_treatment] : t.customer.vatTreatmentAuto,
    ],
    [t.customer.debtorNumber, customer.debtor_number === null ? "" : String(customer.debtor_number)],
    [t.customer.recipientAddress, addressLine(customer.address, language)],
    [t.customer.billingAddress, customer.billing_address ? addressLine(customer.billing_address, language) : ""],
    [t.customer.defaultPaymentMethod, customer.default_payment_method_label],
    [t.customer.created_at, formatDay(customer.created_at, locale)],
  ];
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" component="dl" maw={900}>
      {rows.map(([label, value]) => (
        <Group key={label} gap="xs" align="baseline" wrap="nowrap">
          <Text component="dt" c="dimmed" size="sm" w={200} style={{ flexShrink: 0 }}>
            {label}
          </Text>
          <Text component="dd" m={0}>
            {value || t.customer.none}
          </Text>
        </Group>
      ))}
    </SimpleGrid>
  );
}
