import "@mantine/core/styles.css";

import { Center, createTheme, Loader, MantineProvider, type CSSVariablesResolver } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { BrowserRouter, Route, Routes } from "react-router";

import { SessionProvider, useSession } from "./auth/session";
import { SignIn } from "./auth/SignIn";
import { SignUp } from "./auth/SignUp";
import { languageOf, messages, TextsContext, type Texts } from "./i18n";
import { Customers } from "./screens/Customers";
import { Home } from "./screens/Home";
import { CustomerPage } from "./screens/customers/CustomerPage";
import { Team } from "./screens/Team";
import { Shell } from "./ui/Shell";

// Blue at shade 8: white text on it meets WCAG AA's 4.5:1 (Mantine's default shade 6 does not).
const theme = createTheme({ primaryColor: "blue", primaryShade: { light: 8, dark: 6 } });

// Dimmed text at gray 7 (Mantine's gray 6 is 3.3:1 on white, below AA).
const contrast: CSSVariablesResolver = () => ({
  variables: {},
  light: { "--mantine-color-dimmed": "var(--mantine-color-gray-7)" },
  dark: {},
});

const queries = new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 10_000 } } });

function browserLocale(): string {
  return (navigator.language || "en-US").replace("-", "_");
}

function Screens() {
  const { me, config } = useSession();
  // The tenant's locale once signed in; the browser's before.
  const locale = me?.locale ?? browserLocale();
  const texts = useMemo<Texts>(() => ({ t: messages(languageOf(locale)), locale }), [locale]);
  useEffect(() => {
    document.documentElement.lang = languageOf(locale);
  }, [locale]);
  return (
    <TextsContext.Provider value={texts}>
      {config === undefined ? (
        <Center mih="100vh">
          <Loader aria-label="…" />
        </Center>
      ) : !me ? (
        <Routes>
          <Route path="sign-up" element={<SignUp />} />
          <Route path="*" element={<SignIn />} />
        </Routes>
      ) : (
        <Routes>
          <Route element={<Shell />}>
            <Route index element={<Home />} />
            <Route path="customers" element={<Customers />} />
            <Route path="customers/:customerId" element={<CustomerPage />} />
            <Route path="team" element={<Team />} />
            <Route path="*" element={<Home />} />
          </Route>
        </Routes>
      )}
    </TextsContext.Provider>
  );
}

export function App() {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={contrast}>
      <QueryClientProvider client={queries}>
        <SessionProvider>
          <BrowserRouter>
            <Screens />
          </BrowserRouter>
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
