"""Lambda: the nightly billing run's planner, started by EventBridge Scheduler."""

from datetime import UTC, datetime

from billing.bootstrap import billing_run_service
from billing.config import config
from billing.domain.billing_runs import scheduled_run_date
from billing.observability import logger


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    settings = config()
    run_date = scheduled_run_date(event.get("scheduled_time"), settings.billing_time_zone, datetime.now(UTC))
    tenants = billing_run_service().nightly(run_date, settings.public_api_url)
    logger.info("billing run planned", extra={"run_date": run_date.isoformat(), "tenants": len(tenants)})
    return {"run_date": run_date.isoformat(), "tenants": len(tenants)}
