import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import { Link } from "react-router";

import { useTexts } from "../i18n";
import { setNewPassword, signIn, SignInError } from "./cognito";
import { useSession } from "./session";

export function SignIn() {
  const { t } = useTexts();
  const { config, signUpOpen, startSession } = useSession();
  const [challenge, setChallenge] = useState<{ session: string; email: string } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm({ initialValues: { email: "", password: "", newPassword: "" } });

  if (config === null) return <Alert color="red">{t.signIn.unavailable}</Alert>;

  const submit = form.onSubmit(async (values) => {
    if (!config) return;
    setFailure(null);
    try {
      if (challenge) {
        await startSession(await setNewPassword(config, challenge.email, challenge.session, values.newPassword));
        return;
      }
      const result = await signIn(config, values.email.trim(), values.password);
      if (result.kind === "new-password") setChallenge({ session: result.session, email: result.email });
      else await startSession(result.tokens);
    } catch (error) {
      const code = error instanceof SignInError ? error.code : "";
      if (challenge && code === "InvalidPasswordException") form.setFieldError("newPassword", (error as Error).message);
      else setFailure(code === "NotAuthorizedException" || code === "UserNotFoundException" ? t.signIn.failed : String((error as Error).message));
    }
  });

  return (
    <Center mih="100vh" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" w={380}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={1} size="h3">
              {challenge ? t.signIn.newPassword : t.signIn.title}
            </Title>
            {failure && (
              <Alert color="red" role="alert">
                {failure}
              </Alert>
            )}
            {challenge ? (
              <>
                <Text size="sm">{t.signIn.newPasswordHelp}</Text>
                <PasswordInput
                  label={t.signIn.newPassword}
                  autoComplete="new-password"
                  required
                  {...form.getInputProps("newPassword")}
                />
                <Button type="submit" loading={form.submitting}>
                  {t.signIn.setPassword}
                </Button>
              </>
            ) : (
              <>
                <TextInput
                  label={t.signIn.email}
                  type="email"
                  autoComplete="username"
                  required
                  data-autofocus
                  {...form.getInputProps("email")}
                />
                <PasswordInput
                  label={t.signIn.password}
                  autoComplete="current-password"
                  required
                  {...form.getInputProps("password")}
                />
                <Button type="submit" loading={form.submitting || config === undefined}>
                  {t.signIn.submit}
                </Button>
                {signUpOpen && (
                  <Anchor component={Link} to="/sign-up" size="sm">
                    {t.signUp.link}
                  </Anchor>
                )}
              </>
            )}
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
