import { Alert, Stack, Text, Timeline } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { formatMoment } from "../../format";
import { useTexts } from "../../i18n";
import { Pager, usePaging } from "../../ui/parts";

/** What happened to the customer, newest first, as the API records it. */
export function CustomerTimeline({ customerId }: { customerId: string }) {
  const { t, locale } = useTexts();
  const paging = usePaging();
  const page = useQuery({
    queryKey: ["customer-timeline", customerId, paging.cursor],
    queryFn: () =>
      unwrap(
        api.GET("/v1/customers/{customer_id}/timeline", {
          params: { path: { customer_id: customerId }, query: { limit: 25, ...(paging.cursor ? { cursor: paging.cursor } : {}) } },
        }),
      ),
  });
  if (page.isError) return <Alert color="red">{t.errors.load}</Alert>;
  const events = page.data?.data ?? [];
  return (
    <Stack>
      {page.data && events.length === 0 && <Text c="dimmed">{t.customer.timelineEmpty}</Text>}
      <Timeline bulletSize={12} lineWidth={2}>
        {events.map((event) => (
          <Timeline.Item key={event.id} title={event.summary}>
            <Text size="sm" c="dimmed">
              {formatMoment(event.occurred_at, locale)}
              {event.actor ? ` · ${t.customer.by(event.actor)}` : ""}
            </Text>
          </Timeline.Item>
        ))}
      </Timeline>
      <Pager paging={paging} nextCursor={page.data?.next_cursor} fetching={page.isFetching} />
    </Stack>
  );
}
