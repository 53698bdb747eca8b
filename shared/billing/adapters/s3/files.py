"""Exported files and issued documents in S3, handed out as presigned links that expire."""

from __future__ import annotations

import os
from functools import cache, cached_property

import boto3
from botocore.config import Config


@cache
def _s3_client():
    """One client per environment, shared by every store (documents, exports)."""
    # Path-style addressing keeps presigned links valid for endpoints without bucket DNS (the local stack).
    return boto3.client(
        "s3",
        config=Config(
            signature_version="s3v4", s3={"addressing_style": "path"} if os.environ.get("AWS_ENDPOINT_URL") else {}
        ),
    )


class S3FileStore:
    def __init__(self, bucket: str, client=None):
        self._bucket = bucket
        if client is not None:
            self._client = client

    @cached_property
    def _client(self):
        """Made on first use: a handler that never touches S3 never pays for the client."""
        return _s3_client()

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def exists(self, key: str) -> bool:
        return self._missing_as_none(lambda: self._client.head_object(Bucket=self._bucket, Key=key)) is not None

    def get(self, key: str) -> bytes | None:
        answer = self._missing_as_none(lambda: self._client.get_object(Bucket=self._bucket, Key=key))
        return None if answer is None else answer["Body"].read()

    @staticmethod
    def _missing_as_none(call):
        from botocore.exceptions import ClientError

        try:
            return call()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def download_url(self, key: str, expires_in_seconds: int) -> str:
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in_seconds
        )
