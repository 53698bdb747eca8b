"""Start moto's server on loopback and create the template's tables and buckets in it."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading

from local import template

REGION = "eu-central-1"
LOCAL_MAIL_FROM = "receipts@billow.local"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_parameters(overrides: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **template.parameter_defaults(),
        # No outside issuer: the template's own user pool (created in moto) signs the team in; the
        # gateway also accepts the local tokens `make token` prints (auth.ISSUER).
        "JwtIssuer": "",
        "JwtAudience": "",
        "AWS::Region": REGION,
        "MailFrom": LOCAL_MAIL_FROM,
        **(overrides or {}),
    }


def function_environment(parameter_overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The union of every function's resolved environment (one process hosts them all locally)."""
    parameters = local_parameters(parameter_overrides)
    merged: dict[str, str] = {}
    for function in template.functions().values():
        for name, value in function.environment.items():
            resolved = str(template.resolve(value, parameters))
            if merged.get(name, resolved) != resolved:
                raise RuntimeError(f"functions disagree on {name}; the local stack hosts them in one process")
            merged[name] = resolved
    return merged


def configure_environment(
    aws_endpoint: str, parameter_overrides: dict[str, str] | None = None, extra: dict[str, str] | None = None
) -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ENDPOINT_URL=aws_endpoint,
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_DEV="false",
        **function_environment(parameter_overrides),
        **(extra or {}),
    )
    shared = str(template.ROOT / "shared")
    if shared not in sys.path:
        sys.path.insert(0, shared)
    from billing.config import config

    config.cache_clear()  # read again: the environment just changed


def create_resources() -> None:
    import boto3

    dynamodb = boto3.client("dynamodb")
    s3 = boto3.client("s3")
    for logical_id, resource in template.resources("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        name = template.physical_name(logical_id)
        if name in dynamodb.list_tables()["TableNames"]:
            continue
        args = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "BillingMode") if k in props}
        if "GlobalSecondaryIndexes" in props:
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        dynamodb.create_table(TableName=name, **args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    # What SES needs before it sends: the platform's sender identity, verified.
    boto3.client("ses").verify_email_identity(EmailAddress=LOCAL_MAIL_FROM)
    sqs = boto3.client("sqs")
    queues = template.resources("AWS::SQS::Queue")
    arns = {}
    # Dead-letter queues first: a queue's redrive policy names its dead-letter queue's ARN.
    for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {})):
        props = queues[logical_id].get("Properties", {})
        attributes = {}
        if "RedrivePolicy" in props:
            target = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            redrive = {
                "deadLetterTargetArn": arns[target],
                "maxReceiveCount": str(props["RedrivePolicy"]["maxReceiveCount"]),
            }
            attributes["RedrivePolicy"] = json.dumps(redrive)
        url = sqs.create_queue(QueueName=template.physical_name(logical_id), Attributes=attributes)["QueueUrl"]
        arns[logical_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    existing = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}  # a second stack in one process
    for logical_id, resource in template.resources("AWS::S3::Bucket").items():
        name = template.physical_name(logical_id)
        if name not in existing:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
            versioning = resource.get("Properties", {}).get("VersioningConfiguration")
            if versioning:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=versioning)


DEMO_USER = ("demo@billow.local", "Billow-demo-2026")  # tenant "acme", admin: printed by `make run`


def create_user_pool(endpoint: str) -> dict[str, str]:
    """The template's user pool and the console's app client, in moto's Cognito, with a demo admin.
    Answers the parameter overrides that name them (``!Ref UserPool``, ``!Ref ConsoleUserPoolClient``)."""
    import boto3

    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pool_props = template.resources("AWS::Cognito::UserPool")["UserPool"]["Properties"]
    pool_args = {k: v for k, v in pool_props.items() if k not in ("UserPoolName", "EnabledMfas")}
    pool_id = cognito.create_user_pool(PoolName="billow-local", **pool_args)["UserPool"]["Id"]
    client_props = template.resources("AWS::Cognito::UserPoolClient")["ConsoleUserPoolClient"]["Properties"]
    keep = ("ClientName", "GenerateSecret", "ExplicitAuthFlows", "ReadAttributes", "WriteAttributes")
    client = cognito.create_user_pool_client(UserPoolId=pool_id, **{k: client_props[k] for k in keep})
    email, password = DEMO_USER
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:tenant_id", "Value": "acme"},
            {"Name": "custom:role", "Value": "admin"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    return {"UserPool": pool_id, "ConsoleUserPoolClient": client["UserPoolClient"]["ClientId"]}


class _OneRequestAtATime:
    """moto's backends are not thread-safe: two conditional writes racing through its threaded
    server can both pass their condition, which DynamoDB never allows. Serialising requests keeps
    every request atomic, as it is in AWS, while the gateway still runs handlers concurrently."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


def _back_up_items_not_tables() -> None:
    """moto backs a transaction up by deep-copying every table it touches, once per transaction
    item, so a 100-item transaction on a table of thousands of items copies it 100 times (most of
    the test suite's time went there). Requests are serialised (above), so backing up only the
    items the transaction writes, and putting them back when it is cancelled, is the same."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(models, "_billow_item_backups", False):
        return

    class _TablesAreNotCopied:
        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        backups = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or {a: op["Item"][a] for a in (table.hash_key_attr, table.range_key_attr) if a}
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            backups.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(backups):
                table.delete_item(hash_key, range_key)
                if item is not None:
                    if range_key is None:
                        table.items[hash_key] = item
                    else:
                        table.items.setdefault(hash_key, {})[range_key] = item
            raise

    models.copy = _TablesAreNotCopied
    models.DynamoDBBackend.transact_write_items = transact_write_items
    models._billow_item_backups = True


class EmbeddedAws:
    """moto's server over real HTTP on 127.0.0.1, in a thread of this process."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.sign_in: dict[str, str] = {}
        self._server = None

    def start(
        self, parameter_overrides: dict[str, str] | None = None, extra_environment: dict[str, str] | None = None
    ) -> EmbeddedAws:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        _back_up_items_not_tables()
        app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        threading.Thread(target=self._server.serve_forever, name="moto", daemon=True).start()
        self.sign_in = create_user_pool(self.endpoint)
        parameter_overrides = {**self.sign_in, **(parameter_overrides or {})}
        extra_environment = {
            **(extra_environment or {}),
            "SIGN_IN_ENDPOINT": self.endpoint,  # the browser talks to moto's Cognito (moto allows CORS)
        }
        configure_environment(self.endpoint, parameter_overrides, extra_environment)
        create_resources()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
