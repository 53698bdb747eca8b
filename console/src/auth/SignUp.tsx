import { Alert, Anchor, Button, Center, Paper, PasswordInput, Select, Stack, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import { Link, useNavigate } from "react-router";

import { api, ApiFailure, unwrap } from "../api/client";
import { useTexts } from "../i18n";
import { signIn } from "./cognito";
import { useSession } from "./session";

const LOCALES = [
  { value: "de_DE", label: "Deutsch (Deutschland)" },
  { value: "de_AT", label: "Deutsch (Österreich)" },
  { value: "en_US", label: "English (US)" },
  { value: "en_GB", label: "English (UK)" },
];

/** A new business: its tenant and first admin (POST /v1/sign-up), then signed in at once. */
export function SignUp() {
  const { t, locale } = useTexts();
  const { config, signUpOpen, startSession } = useSession();
  const navigate = useNavigate();
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm({
    initialValues: {
      business_name: "",
      email: "",
      password: "",
      locale: locale.startsWith("de") ? "de_DE" : "en_US",
    },
  });

  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    try {
      await unwrap(api.POST("/v1/sign-up", { body: values }));
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 422) form.setErrors(error.fields);
      else if (error instanceof ApiFailure && error.status === 409) form.setErrors({ email: error.message });
      else setFailure((error as Error).message);
      return;
    }
    if (!config) return;
    const result = await signIn(config, values.email.trim().toLowerCase(), values.password);
    if (result.kind === "signed-in") {
      await startSession(result.tokens);
      void navigate("/settings");
    }
  });

  return (
    <Center mih="100vh" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" w={420}>
        {!signUpOpen ? (
          <Alert color="yellow">{t.signUp.closed}</Alert>
        ) : (
          <form onSubmit={submit} noValidate>
            <Stack>
              <Title order={1} size="h3">
                {t.signUp.title}
              </Title>
              {failure && (
                <Alert color="red" role="alert">
                  {failure}
                </Alert>
              )}
              <TextInput
                label={t.signUp.businessName}
                required
                data-autofocus
                autoComplete="organization"
                {...form.getInputProps("business_name")}
              />
              <TextInput
                label={t.signUp.email}
                type="email"
                required
                autoComplete="username"
                {...form.getInputProps("email")}
              />
              <PasswordInput
                label={t.signUp.password}
                description={t.signUp.passwordHelp}
                required
                autoComplete="new-password"
                {...form.getInputProps("password")}
              />
              <Select
                label={t.signUp.locale}
                data={LOCALES}
                allowDeselect={false}
                {...form.getInputProps("locale")}
              />
              <Button type="submit" loading={form.submitting}>
                {t.signUp.submit}
              </Button>
            </Stack>
          </form>
        )}
        <Anchor component={Link} to="/" size="sm" mt="md" display="block">
          {t.signUp.back}
        </Anchor>
      </Paper>
    </Center>
  );
}
