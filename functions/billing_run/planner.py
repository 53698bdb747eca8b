"""Lambda: the nightly billing run's planner, started by EventBridge Scheduler."""

import os
from datetime import UTC, datetime

from billing.domain.billing_runs import scheduled_run_date
from billing.http.dependencies import billing_run_service
from billing.observability import logger


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    zone = os.environ.get("BILLING_TIME_ZONE", "UTC")
    run_date = scheduled_run_date(event.get("scheduled_time"), zone, datetime.now(UTC))
    tenants = billing_run_service().nightly(run_date, os.environ.get("PUBLIC_API_URL", ""))
    logger.info("billing run planned", extra={"run_date": run_date.isoformat(), "tenants": len(tenants)})
    return {"run_date": run_date.isoformat(), "tenants": len(tenants)}
