"""The template's SQS event sources, locally: what lands on a queue (moto's SQS) is handed to the
function the queue feeds, in this process, as Lambda's event source mapping does - batches of up
to the mapping's BatchSize, and the records a partial batch response names put back on the queue
(SQS then redrives what keeps failing to the dead-letter queue)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from local import template
from local.gateway import LambdaContext, _load_handler

log = logging.getLogger("billow.queues")
RETRY_AFTER_SECONDS = 1  # a failed record comes back this soon (AWS: the queue's visibility timeout)
# How long an empty poll waits before the next: moto serves one request at a time, so polling
# faster would slow every other request of the stack.
IDLE_SECONDS = 0.25


@dataclass
class _Mapping:
    function: template.Function
    queue: str
    batch_size: int
    handler: object = None
    url: str = ""


def mappings() -> list[_Mapping]:
    found = []
    for name, resource in template.resources("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                found.append(_Mapping(template.functions()[name], queue, int(event["Properties"].get("BatchSize", 10))))
    return found


class QueueWorker:
    def __init__(self):
        import boto3

        self._sqs = boto3.client("sqs")
        self._mappings = mappings()
        for mapping in self._mappings:
            mapping.url = self._sqs.get_queue_url(QueueName=template.physical_name(mapping.queue))["QueueUrl"]
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._busy = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sqs-event-sources", daemon=True)

    def start(self) -> QueueWorker:
        for mapping in self._mappings:
            mapping.handler = _load_handler(mapping.function)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No batch is handed to a function meanwhile (what is being worked finishes first):
        a test plays a crash of the workers with it."""
        self._paused.set()
        while True:
            with self._lock:
                if not self._busy:
                    break
            time.sleep(0.05)
        try:
            yield
        finally:
            self._paused.clear()

    def lose(self, count: int) -> int:
        """Take up to ``count`` messages off the queues for good, as if the workers that held them
        died and the messages never came back; answers how many were lost."""
        lost = 0
        for mapping in self._mappings:
            while lost < count:
                answer = self._sqs.receive_message(QueueUrl=mapping.url, MaxNumberOfMessages=min(10, count - lost))
                messages = answer.get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    self._sqs.delete_message(QueueUrl=mapping.url, ReceiptHandle=message["ReceiptHandle"])
                lost += len(messages)
        return lost

    def drain(self, timeout: float = 120) -> None:
        """Wait until every queue is empty and no batch is being worked."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = self._busy
            if not busy and all(self._empty(m.url) for m in self._mappings):
                with self._lock:
                    if not self._busy:
                        return
            time.sleep(0.1)
        raise TimeoutError("the queues did not drain")

    def _empty(self, url: str) -> bool:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        counts = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return all(int(counts[n]) == 0 for n in names)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                self._stop.wait(IDLE_SECONDS)
                continue
            worked = False
            for mapping in self._mappings:
                with self._lock:
                    self._busy += 1
                try:
                    worked |= self._deliver(mapping)
                except Exception:  # the event source keeps polling whatever one batch did
                    log.exception("delivering a batch to %s failed", mapping.function.logical_id)
                finally:
                    with self._lock:
                        self._busy -= 1
            if not worked:
                self._stop.wait(IDLE_SECONDS)

    def _deliver(self, mapping: _Mapping) -> bool:
        answer = self._sqs.receive_message(
            QueueUrl=mapping.url,
            MaxNumberOfMessages=mapping.batch_size,
            VisibilityTimeout=30,
            AttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return False
        arn = f"arn:aws:sqs:eu-central-1:000000000000:{template.physical_name(mapping.queue)}"
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": "eu-central-1",
                }
                for m in messages
            ]
        }
        context = LambdaContext(mapping.function.logical_id, str(uuid.uuid4()), timeout_seconds=120)
        try:
            result = mapping.handler(event, context) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:  # the whole batch failed (Powertools raises when every record did): all come back
            log.warning("every record of a batch to %s failed", mapping.function.logical_id)
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=mapping.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_AFTER_SECONDS
                )
            else:
                self._sqs.delete_message(QueueUrl=mapping.url, ReceiptHandle=message["ReceiptHandle"])
        return True
