"""The billing run's queue: planned work goes onto SQS in batches of ten; workers consume it."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from billing.domain.billing_runs import BillingWork, WorkMessage

if TYPE_CHECKING:  # boto3-stubs: a development dependency, never in the layer
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

BATCH = 10  # SQS SendMessageBatch takes at most ten messages


class SqsDispatch:
    def __init__(self, queue: str) -> None:
        self._queue = queue  # a queue URL (what CloudFormation's Ref gives), or a name (locally)

    @cached_property
    def _client(self) -> SQSClient:
        import boto3

        return boto3.client("sqs")

    @cached_property
    def _url(self) -> str:
        if self._queue.startswith(("http://", "https://")):
            return self._queue
        return self._client.get_queue_url(QueueName=self._queue)["QueueUrl"]

    def __call__(self, tenant_id: str, run_id: str, run_date: date, work: list[BillingWork], hosted_base: str) -> None:
        from billing.clock import clock_override

        today = clock_override()  # a sandbox tenant's test clock goes with its work
        for start in range(0, len(work), BATCH):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {
                    "Id": str(index),
                    "MessageBody": WorkMessage(tenant_id, run_id, run_date, item, hosted_base, today).to_json(),
                }
                for index, item in enumerate(work[start : start + BATCH])
            ]
            answer = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"SQS refused {len(answer['Failed'])} messages: {answer['Failed'][0]}")
