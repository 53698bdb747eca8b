"""Logger, tracer and metrics, created once at the package root for every handler."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
