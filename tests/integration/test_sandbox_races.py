"""Racing requests on one multipart upload, over real HTTP with real threads.

Two Completes, or a Complete and an UploadPart, sent at the same moment must
always end in answers COS gives (never 500), and the object must always be one
of the outcomes the answers describe.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION

MB = 1024 * 1024
# Each scenario runs this long (or until MAX_ROUNDS), and must manage MIN_ROUNDS.
RACE_SECONDS = 1.5
MAX_ROUNDS = 40
MIN_ROUNDS = 8


@pytest.fixture
def clients(sandbox: SandboxServer, credentials: Credentials) -> Iterator[tuple[SignedClient, SignedClient]]:
    with (
        SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as first,
        SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as second,
    ):
        yield first, second


def code_of(response: httpx.Response) -> str | None:
    return ET.fromstring(response.content).findtext("Code")


def initiate(client: SignedClient, key: str) -> str:
    response = client.request("POST", key, params={"uploads": ""})
    assert response.status_code == 200
    return str(ET.fromstring(response.content).findtext("UploadId"))


def upload_part(client: SignedClient, key: str, upload_id: str, number: int, data: bytes) -> httpx.Response:
    return client.request("PUT", key, params={"partNumber": str(number), "uploadId": upload_id}, content=data)


def complete(
    client: SignedClient, key: str, upload_id: str, parts: list[tuple[int, bytes]]
) -> httpx.Response:
    inner = "".join(
        f'<Part><PartNumber>{number}</PartNumber><ETag>"{hashlib.md5(data).hexdigest()}"</ETag></Part>'
        for number, data in parts
    )
    body = f"<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode()
    return client.request("POST", key, params={"uploadId": upload_id}, content=body)


Call = Callable[[], httpx.Response]


def at_once(first: Call, second: Call) -> list[httpx.Response]:
    """Run both calls on two threads released together; their answers in call order."""
    barrier = threading.Barrier(2)
    answers: list[httpx.Response | None] = [None, None]
    failures: list[BaseException] = []

    def run(index: int, call: Callable[[], httpx.Response]) -> None:
        try:
            barrier.wait()
            answers[index] = call()
        except BaseException as error:  # reported on the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert answers[0] is not None and answers[1] is not None
    return [answers[0], answers[1]]


def rounds() -> Iterator[int]:
    deadline = time.monotonic() + RACE_SECONDS
    count = 0
    while count < MAX_ROUNDS and (count < MIN_ROUNDS or time.monotonic() < deadline):
        yield count
        count += 1


def test_racing_completes_give_one_200_and_one_no_such_upload(
    clients: tuple[SignedClient, SignedClient],
) -> None:
    first, second = clients
    parts = [(1, os.urandom(MB)), (2, os.urandom(1000))]
    finished = 0
    for index in rounds():
        key = f"race/complete-{index}"
        upload_id = initiate(first, key)
        for number, data in parts:
            assert upload_part(first, key, upload_id, number, data).status_code == 200
        answers = at_once(
            partial(complete, first, key, upload_id, parts),
            partial(complete, second, key, upload_id, parts),
        )
        ordered = sorted(answers, key=lambda response: response.status_code)
        assert [r.status_code for r in ordered] == [200, 404], [r.content for r in answers]
        assert ET.fromstring(ordered[0].content).tag == "CompleteMultipartUploadResult"
        assert code_of(ordered[1]) == "NoSuchUpload"
        assert first.get(key).content == b"".join(data for _, data in parts)
        finished += 1
    assert finished >= MIN_ROUNDS


def test_complete_racing_a_replaced_part_keeps_the_listed_bytes(
    clients: tuple[SignedClient, SignedClient],
) -> None:
    first, second = clients
    listed = [(1, os.urandom(MB)), (2, os.urandom(MB // 2))]
    replacement = os.urandom(MB // 2)
    outcomes: set[tuple[int, int]] = set()
    for index in rounds():
        key = f"race/replace-{index}"
        upload_id = initiate(first, key)
        for number, data in listed:
            assert upload_part(first, key, upload_id, number, data).status_code == 200
        completed, uploaded = at_once(
            partial(complete, first, key, upload_id, listed),
            partial(upload_part, second, key, upload_id, 2, replacement),
        )
        outcomes.add((completed.status_code, uploaded.status_code))
        # The part upload either landed (and Complete used or refused it) or came too late.
        assert uploaded.status_code in (200, 404), uploaded.content
        if uploaded.status_code == 404:
            assert code_of(uploaded) == "NoSuchUpload"
        if completed.status_code == 200:
            assert ET.fromstring(completed.content).tag == "CompleteMultipartUploadResult"
            assert first.get(key).content == b"".join(data for _, data in listed)
        else:
            # The replacement arrived before Complete compared the ETags it was given.
            assert (completed.status_code, code_of(completed)) == (400, "InvalidPart")
            assert uploaded.status_code == 200
            assert first.get(key).status_code == 404
    assert outcomes, "no round ran"


def test_part_racing_complete_is_stored_or_refused_but_never_joins_the_object(
    clients: tuple[SignedClient, SignedClient],
) -> None:
    first, second = clients
    listed = [(1, os.urandom(MB)), (2, os.urandom(1000))]
    for index in rounds():
        key = f"race/extra-{index}"
        upload_id = initiate(first, key)
        for number, data in listed:
            assert upload_part(first, key, upload_id, number, data).status_code == 200
        completed, uploaded = at_once(
            partial(complete, first, key, upload_id, listed),
            partial(upload_part, second, key, upload_id, 3, os.urandom(MB)),
        )
        assert completed.status_code == 200, completed.content
        assert uploaded.status_code in (200, 404), uploaded.content
        if uploaded.status_code == 404:
            assert code_of(uploaded) == "NoSuchUpload"
        assert first.get(key).content == b"".join(data for _, data in listed)


def test_abort_racing_complete_ends_in_cos_answers(clients: tuple[SignedClient, SignedClient]) -> None:
    first, second = clients
    parts = [(1, os.urandom(MB)), (2, os.urandom(1000))]
    for index in rounds():
        key = f"race/abort-{index}"
        upload_id = initiate(first, key)
        for number, data in parts:
            assert upload_part(first, key, upload_id, number, data).status_code == 200
        completed, aborted = at_once(
            partial(complete, first, key, upload_id, parts),
            partial(second.request, "DELETE", key, params={"uploadId": upload_id}),
        )
        # Exactly one of them wins; the other is told the upload is gone.
        assert (completed.status_code, aborted.status_code) in ((200, 404), (404, 204)), (
            completed.content,
            aborted.content,
        )
        stored = first.get(key)
        if completed.status_code == 200:
            assert code_of(aborted) == "NoSuchUpload"
            assert stored.content == b"".join(data for _, data in parts)
        else:
            assert code_of(completed) == "NoSuchUpload"
            assert stored.status_code == 404
