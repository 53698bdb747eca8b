"""Exported files in S3, handed out as presigned links that expire."""

from __future__ import annotations

import os

import boto3
from botocore.config import Config


class S3FileStore:
    def __init__(self, bucket: str, client=None):
        self._bucket = bucket
        # Path-style addressing keeps presigned links valid for endpoints without bucket DNS (the local stack).
        self._client = client or boto3.client(
            "s3",
            config=Config(
                signature_version="s3v4", s3={"addressing_style": "path"} if os.environ.get("AWS_ENDPOINT_URL") else {}
            ),
        )

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def download_url(self, key: str, expires_in_seconds: int) -> str:
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in_seconds
        )
