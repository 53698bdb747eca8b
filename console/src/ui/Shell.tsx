import { Alert, AppShell, Badge, Burger, Button, Group, Kbd, Menu, NavLink, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { NavLink as RouterLink, Outlet, useLocation } from "react-router";

import { api, unwrap } from "../api/client";
import { useSession } from "../auth/session";
import { formatDay } from "../format";
import { useTexts } from "../i18n";
import { NewCustomer } from "../screens/customers/NewCustomer";
import { useKeySequence } from "./shortcuts";

const NEW_CUSTOMER_KEYS = ["c", "n"] as const;

function SandboxBanner() {
  const { t, locale } = useTexts();
  const clock = useQuery({ queryKey: ["test-clock"], queryFn: () => unwrap(api.GET("/v1/test-clock")) });
  if (!clock.data) return null;
  return (
    <Alert color="yellow" radius={0} py={6} role="status">
      {t.sandbox(formatDay(clock.data.today, locale))}
    </Alert>
  );
}

export function Shell() {
  const { t } = useTexts();
  const { me, may, endSession } = useSession();
  const [opened, { toggle }] = useDisclosure();
  const [creating, creation] = useDisclosure();
  const writer = may("write");
  useKeySequence(NEW_CUSTOMER_KEYS, creation.open, writer && !creating);
  const { pathname } = useLocation();
  const links = [
    { to: "/", label: t.nav.home },
    { to: "/customers", label: t.nav.customers },
    { to: "/team", label: t.team.title },
  ];
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={700} size="lg">
              {t.appName}
            </Text>
            {me?.business_name && <Text c="dimmed">{me.business_name}</Text>}
          </Group>
          <Group gap="sm">
            {writer && (
              <Menu position="bottom-end">
                <Menu.Target>
                  <Button size="compact-md" aria-label={t.customer.newMenu}>
                    + {t.customer.newMenu}
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Item
                    onClick={creation.open}
                    rightSection={
                      <Text size="xs" c="dimmed" aria-label={t.customer.shortcut}>
                        <Kbd size="xs">c</Kbd> <Kbd size="xs">n</Kbd>
                      </Text>
                    }
                  >
                    {t.customer.newCustomer}
                  </Menu.Item>
                </Menu.Dropdown>
              </Menu>
            )}
            {me && (
              <>
                <Text size="sm">{me.email}</Text>
                <Badge variant="filled">{t.roles[me.role]}</Badge>
              </>
            )}
            <Button variant="subtle" size="compact-sm" onClick={() => void endSession()}>
              {t.signIn.signOut}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Billow">
        {links.map((link) => (
          <NavLink
            key={link.to}
            component={RouterLink}
            to={link.to}
            label={link.label}
            variant="filled"
            active={link.to === "/" ? pathname === "/" : pathname.startsWith(link.to)}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        {me?.sandbox && <SandboxBanner />}
        <Outlet />
        <NewCustomer opened={creating} onClose={creation.close} />
      </AppShell.Main>
    </AppShell>
  );
}
