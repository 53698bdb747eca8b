"""Lambda: the nightly billing run's worker, fed by the billing queue. Each message is one
subscription; a failure is reported for that message alone (partial batch response), so one bad
subscription never fails its neighbours, and SQS delivers it again (then to the dead-letter queue)."""

import json
from datetime import date

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from billing.clock import clock_at
from billing.domain.billing_runs import Outcome
from billing.http.dependencies import billing_run_service
from billing.observability import logger

processor = BatchProcessor(event_type=EventType.SQS)


class BillingFailed(Exception):
    """The subscription could not be billed this time; its message comes back."""


def bill_one(record) -> None:
    work = json.loads(record.body)
    with clock_at(date.fromisoformat(work["today"]) if "today" in work else None):  # a sandbox tenant's day
        outcomes = billing_run_service().work(
            work["tenant_id"],
            work["run_id"],
            date.fromisoformat(work["run_date"]),
            work["work"],
            work.get("hosted_base", ""),
        )
    if outcomes == [Outcome.FAILED]:  # it could not be worked (a decline is billed, and dunning's)
        raise BillingFailed(work["work"]["subscription_id"])


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=bill_one, processor=processor, context=context)
