"""A second reference: the minimal handler with Powertools request validation switched on and one
pydantic body model, i.e. the floor for any handler that validates as Billow's must."""

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel, ConfigDict

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
dynamodb = boto3.client("dynamodb")


class Ping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


@app.post("/ping")
def ping(body: Ping) -> dict:
    return {"ok": body.name}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
