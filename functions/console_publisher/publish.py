"""CloudFormation custom resource: publishes the console's build (packaged beside this handler in
site/) to the private console bucket on every deploy, with the cache rules CloudFront serves it by:
hashed assets for a year, everything else (index.html) never cached. Assets of earlier builds stay,
so a browser still holding the old index.html loads what it names; a stack deletion empties it."""

from __future__ import annotations

import json
import mimetypes
import urllib.request
from pathlib import Path

import boto3

SITE = Path(__file__).parent / "site"
FOREVER = "public, max-age=31536000, immutable"
NEVER = "no-cache"


def cache_control(key: str) -> str:
    return FOREVER if key.startswith("assets/") else NEVER


def publish(bucket: str, site: Path = SITE, s3=None) -> list[str]:
    s3 = s3 or boto3.client("s3")
    published = []
    # index.html last: until it is replaced, the old one keeps naming assets that are all there.
    files = sorted((p for p in site.rglob("*") if p.is_file()), key=lambda p: p.name == "index.html")
    for path in files:
        key = path.relative_to(site).as_posix()
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=mimetypes.guess_type(key)[0] or "application/octet-stream",
            CacheControl=cache_control(key),
        )
        published.append(key)
    return published


def empty(bucket: str, s3=None) -> None:
    s3 = s3 or boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def lambda_handler(event: dict, context) -> None:
    bucket = event["ResourceProperties"]["Bucket"]
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            data = {"Files": len(publish(bucket))}
        elif event["RequestType"] == "Delete":
            empty(bucket)
    except Exception as error:  # CloudFormation must hear back, or the stack waits an hour
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    answer = {
        "Status": status,
        "Reason": reason or f"see {getattr(context, 'log_stream_name', 'the log')}",
        "PhysicalResourceId": f"console-{bucket}",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }
    body = json.dumps(answer).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""})
    urllib.request.urlopen(request, timeout=30)  # CloudFormation's presigned response URL
