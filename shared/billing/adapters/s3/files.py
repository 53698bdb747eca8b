"""Exported files and issued documents in S3, handed out as presigned links that expire."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, cached_property
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

import boto3
from botocore.config import Config

from billing.config import config

if TYPE_CHECKING:  # boto3-stubs: a development dependency, never in the layer
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")


@cache
def _s3_client() -> S3Client:
    """One client per environment, shared by every store (documents, exports)."""
    # Path-style addressing keeps presigned links valid for endpoints without bucket DNS (the local stack).
    return boto3.client(
        "s3",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"} if config().aws_endpoint else {}),
    )


class S3FileStore:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        if client is not None:
            self._client = client

    @cached_property
    def _client(self) -> S3Client:
        """Made on first use: a handler that never touches S3 never pays for the client."""
        return _s3_client()

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def put_new(self, key: str, body: bytes, content_type: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
        except ClientError as error:
            if error.response["Error"]["Code"] in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def exists(self, key: str) -> bool:
        return self._missing_as_none(lambda: self._client.head_object(Bucket=self._bucket, Key=key)) is not None

    def get(self, key: str) -> bytes | None:
        answer = self._missing_as_none(lambda: self._client.get_object(Bucket=self._bucket, Key=key))
        return None if answer is None else answer["Body"].read()

    @staticmethod
    def _missing_as_none(call: Callable[[], T]) -> T | None:
        from botocore.exceptions import ClientError

        try:
            return call()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def download_url(self, key: str, expires_in_seconds: int, download_name: str | None = None) -> str:
        params = {"Bucket": self._bucket, "Key": key}
        if download_name:
            quoted = quote(download_name, safe="")
            params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quoted}"
        return self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in_seconds)
