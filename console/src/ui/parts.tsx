// What list and record screens share: the notice line, the confirmation before a change,
// the paging buttons (Billow pages with cursors) and the row actions.
import { Alert, Button, Group, Modal, Stack, Text, VisuallyHidden } from "@mantine/core";
import { useState } from "react";

import { useTexts } from "../i18n";

export interface Notices {
  notice: string | null;
  failure: string | null;
  tell: (text: string) => void;
  fail: (error: Error) => void;
  clear: () => void;
}

export function useNotices(): Notices {
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  return {
    notice,
    failure,
    tell: (text) => {
      setFailure(null);
      setNotice(text);
    },
    fail: (error) => {
      setNotice(null);
      setFailure(error.message);
    },
    clear: () => {
      setNotice(null);
      setFailure(null);
    },
  };
}

export function NoticeLines({ notices, onClose }: { notices: Notices; onClose: () => void }) {
  const { t } = useTexts();
  return (
    <>
      {notices.notice && (
        <Alert color="green" role="status" withCloseButton closeButtonLabel={t.common.close} onClose={onClose}>
          {notices.notice}
        </Alert>
      )}
      {notices.failure && (
        <Alert color="red" role="alert" withCloseButton closeButtonLabel={t.common.close} onClose={onClose}>
          {t.common.failed} {notices.failure}
        </Alert>
      )}
    </>
  );
}

export interface Confirmation {
  title: string;
  text: string;
  action: string;
  danger: boolean;
  run: () => Promise<unknown>;
}

/** Asks before archiving or restoring; Enter on the focused button confirms, Escape cancels. */
export function ConfirmModal({ asked, onClose }: { asked: Confirmation | null; onClose: () => void }) {
  const { t } = useTexts();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    if (!asked) return;
    setBusy(true);
    try {
      await asked.run();
    } finally {
      setBusy(false);
      onClose();
    }
  };
  return (
    <Modal opened={asked !== null} onClose={onClose} title={asked?.title} closeButtonProps={{ "aria-label": t.common.close }}>
      <Stack>
        <Text>{asked?.text}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t.common.cancel}
          </Button>
          <Button data-autofocus color={asked?.danger ? "red" : undefined} loading={busy} onClick={() => void confirm()}>
            {asked?.action}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Billow pages with cursors: the cursors of the pages before this one, to go back to the first. */
export function usePaging() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors.at(-1),
    onFirst: cursors.length === 0,
    restart: () => setCursors([]),
    next: (cursor: string) => setCursors([...cursors, cursor]),
  };
}

export function Pager({
  paging,
  nextCursor,
  fetching,
}: {
  paging: ReturnType<typeof usePaging>;
  nextCursor: string | null | undefined;
  fetching: boolean;
}) {
  const { t } = useTexts();
  if (paging.onFirst && !nextCursor) return null;
  return (
    <Group>
      <Button variant="default" disabled={paging.onFirst} onClick={paging.restart}>
        {t.common.first}
      </Button>
      <Button variant="default" disabled={!nextCursor} onClick={() => nextCursor && paging.next(nextCursor)}>
        {t.common.next}
      </Button>
      <VisuallyHidden aria-live="polite">{fetching ? "…" : ""}</VisuallyHidden>
    </Group>
  );
}

/** A row's edit and archive (or, archived, restore) buttons, named with the row for screen readers. */
export function RowActions({
  name,
  archived,
  onEdit,
  onArchive,
  onRestore,
}: {
  name: string;
  archived: boolean;
  onEdit: () => void;
  onArchive: () => void;
  onRestore: () => void;
}) {
  const { t } = useTexts();
  return (
    <Group gap="xs" justify="flex-end" wrap="nowrap">
      {archived ? (
        <Button size="compact-sm" variant="default" aria-label={t.catalog.restoreOf(name)} onClick={onRestore}>
          {t.catalog.restore}
        </Button>
      ) : (
        <>
          <Button size="compact-sm" variant="default" aria-label={t.catalog.editOf(name)} onClick={onEdit}>
            {t.catalog.edit}
          </Button>
          <Button size="compact-sm" variant="default" aria-label={t.catalog.archiveOf(name)} onClick={onArchive}>
            {t.catalog.archive}
          </Button>
        </>
      )}
    </Group>
  );
}
