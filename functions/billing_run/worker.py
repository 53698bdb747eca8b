"""Lambda: the nightly billing run's worker, fed by the billing queue. Each message is one
subscription; a batch is worked together (its new invoices numbered in one transaction, its counts
added to the run's record in one write), and a failure is reported for its message alone (partial
batch response), so one bad subscription never fails its neighbours, and SQS delivers it again
(then to the dead-letter queue)."""

from collections import defaultdict

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from billing.bootstrap import billing_run_service
from billing.clock import clock_at
from billing.domain.billing_runs import BillingWork, Outcome, WorkMessage
from billing.observability import logger

processor = BatchProcessor(event_type=EventType.SQS)


class BillingFailed(Exception):
    """The subscription could not be billed this time; its message comes back."""


def bill_batch(records: list[dict]) -> set[str]:
    """Work the batch's messages together (a run's batch numbers its invoices in one
    transaction); answer the ids of the messages that could not be worked."""
    failed = set()
    groups: dict[tuple, list[tuple[str, BillingWork]]] = defaultdict(list)
    for record in records:
        message = WorkMessage.from_json(record["body"])
        key = (message.tenant_id, message.run_id, message.run_date, message.hosted_base, message.today)
        groups[key].append((record["messageId"], message.work))
    for (tenant_id, run_id, run_date, hosted_base, today), entries in groups.items():
        with clock_at(today):  # a sandbox tenant's day
            results = billing_run_service().work(
                tenant_id, run_id, run_date, [work for _, work in entries], hosted_base
            )
        # A decline is billed (dunning's then); only what could not be worked comes back.
        failed |= {
            message_id
            for (message_id, _), outcomes in zip(entries, results, strict=True)
            if outcomes == [Outcome.FAILED]
        }
    return failed


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    failed = bill_batch(event["Records"])

    def report(record) -> None:
        if record.message_id in failed:
            raise BillingFailed(record.message_id)

    return process_partial_response(event=event, record_handler=report, processor=processor, context=context)
