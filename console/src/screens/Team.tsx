import { Alert, Badge, Button, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, ApiFailure, unwrap, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { formatDay } from "../format";
import { useTexts } from "../i18n";

type Member = Schemas["MemberOut"];
type Role = Member["role"];
const ROLES: Role[] = ["admin", "billing", "viewer"];

function InviteForm({ onInvited }: { onInvited: (email: string) => void }) {
  const { t } = useTexts();
  const form = useForm<{ email: string; role: Role }>({ initialValues: { email: "", role: "billing" } });
  const [failure, setFailure] = useState<string | null>(null);
  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    try {
      await unwrap(api.POST("/v1/team/members", { body: values }));
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 422) form.setErrors(error.fields);
      else if (error instanceof ApiFailure && error.status === 409) form.setErrors({ email: error.message });
      else setFailure((error as Error).message);
      return;
    }
    onInvited(values.email);
    form.reset();
  });
  const roles = ROLES.map((role) => ({ value: role, label: t.roles[role] }));
  return (
    <form onSubmit={submit} noValidate aria-label={t.team.inviteTitle}>
      <Stack gap="xs">
        <Title order={3} size="h5">
          {t.team.inviteTitle}
        </Title>
        {failure && (
          <Alert color="red" role="alert">
            {failure}
          </Alert>
        )}
        <Group align="flex-start">
          <TextInput label={t.team.email} type="email" required w={320} {...form.getInputProps("email")} />
          <Select label={t.team.role} data={roles} allowDeselect={false} w={180} {...form.getInputProps("role")} />
          <Button type="submit" mt={25} loading={form.submitting}>
            {t.team.invite}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The team: who signs in to this business's console; admins invite, change roles and remove. */
export function Team() {
  const { t, locale } = useTexts();
  const { me, may } = useSession();
  const admin = may("administer");
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [leaving, setLeaving] = useState<Member | null>(null);
  const team = useQuery({ queryKey: ["team"], queryFn: () => unwrap(api.GET("/v1/team")) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["team"] });
  const failed = (error: Error) => setFailure(error.message);

  const changeRole = useMutation({
    mutationFn: ({ member, role }: { member: Member; role: Role }) =>
      unwrap(api.PATCH("/v1/team/members/{user_id}", { params: { path: { user_id: member.user_id } }, body: { role } })),
    onSuccess: () => void refresh(),
    onError: failed,
  });
  const resend = useMutation({
    mutationFn: (member: Member) =>
      unwrap(api.POST("/v1/team/members/{user_id}/invitation", { params: { path: { user_id: member.user_id } } })),
    onSuccess: (member) => setNotice(t.team.resent(member.email)),
    onError: failed,
  });
  const remove = useMutation({
    mutationFn: (member: Member) =>
      unwrap(api.DELETE("/v1/team/members/{user_id}", { params: { path: { user_id: member.user_id } } })),
    onSuccess: () => {
      setLeaving(null);
      void refresh();
    },
    onError: (error: Error) => {
      setLeaving(null);
      failed(error);
    },
  });

  if (team.data && !team.data.manages_sign_ins) return <Alert color="blue">{t.team.managedElsewhere}</Alert>;
  const roles = ROLES.map((role) => ({ value: role, label: t.roles[role] }));
  return (
    <Stack>
      <Title order={2} size="h3">
        {t.team.title}
      </Title>
      {notice && (
        <Alert color="green" role="status" withCloseButton closeButtonLabel={t.common.close} onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      )}
      {failure && (
        <Alert color="red" role="alert" withCloseButton closeButtonLabel={t.common.close} onClose={() => setFailure(null)}>
          {failure}
        </Alert>
      )}
      {team.isError && <Alert color="red">{t.errors.load}</Alert>}
      <Table aria-label={t.team.title}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t.team.email}</Table.Th>
            <Table.Th>{t.team.role}</Table.Th>
            <Table.Th>{t.team.status}</Table.Th>
            <Table.Th>{t.team.invitedAt}</Table.Th>
            {admin && <Table.Th>{t.team.actions}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {team.data?.data.map((member) => (
            <Table.Tr key={member.user_id}>
              <Table.Td>
                {member.email}
                {member.user_id === me?.user_id && <Text span c="dimmed">{` (${t.team.you})`}</Text>}
              </Table.Td>
              <Table.Td>
                {admin ? (
                  <Select
                    aria-label={t.team.roleOf(member.email)}
                    data={roles}
                    value={member.role}
                    allowDeselect={false}
                    w={170}
                    onChange={(role) => role && changeRole.mutate({ member, role: role as Role })}
                  />
                ) : (
                  t.roles[member.role]
                )}
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={member.status === "active" ? "green" : "yellow"}>
                  {t.team.statuses[member.status]}
                </Badge>
              </Table.Td>
              <Table.Td>{formatDay(member.invited_at, locale)}</Table.Td>
              {admin && (
                <Table.Td>
                  <Group gap="xs">
                    {member.status === "invited" && (
                      <Button size="compact-sm" variant="default" onClick={() => resend.mutate(member)}>
                        {t.team.resend}
                      </Button>
                    )}
                    <Button
                      size="compact-sm"
                      variant="default"
                      color="red"
                      aria-label={`${t.team.remove}: ${member.email}`}
                      onClick={() => setLeaving(member)}
                    >
                      {t.team.remove}
                    </Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {admin && (
        <InviteForm
          onInvited={(email) => {
            setNotice(t.team.invited(email));
            void refresh();
          }}
        />
      )}
      <Modal opened={leaving !== null} onClose={() => setLeaving(null)} title={t.team.removeTitle}>
        <Stack>
          <Text>{leaving && t.team.removeText(leaving.email)}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setLeaving(null)}>
              {t.common.cancel}
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => leaving && remove.mutate(leaving)}>
              {t.team.remove}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
