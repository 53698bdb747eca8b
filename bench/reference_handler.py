"""The reference a handler's cold import is measured against: the minimal Powertools HTTP handler
(Logger, Tracer, Metrics, APIGatewayHttpResolver) with a boto3 DynamoDB client at module scope."""

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
dynamodb = boto3.client("dynamodb")


@app.get("/ping")
def ping():
    return {"ok": True}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
