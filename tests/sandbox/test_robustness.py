"""Whatever arrives, the sandbox answers with an FPS error document: never a 500, a traceback
or a dropped connection (hypothesis-generated queries and bodies)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpsdesk.sandbox import SandboxServer

NAMES = st.sampled_from(
    [
        "Action",
        "AWSAccessKeyId",
        "Signature",
        "SignatureVersion",
        "SignatureMethod",
        "Timestamp",
        "Expires",
        "Version",
        "TransactionId",
        "Description",
        "TransactionAmount.Value",
        "StartDate",
        "MaxBatchSize",
        "Role.1",
        "HttpParameters",
        "UrlEndPoint",
        "Junk",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "Cancel",
            "GetTransaction",
            "GetAccountActivity",
            "VerifySignature",
            "Pay",
            "2008-09-17",
            "2010-08-28",
            "2",
            "HmacSHA256",
            "1" * 35,
            "",
            "2099-01-01T00:00:00Z",
            "-1",
            "1e999",
            "NaN",
        ]
    ),
    st.text(max_size=40),
)


# The module-scoped sandbox is shared on purpose: these requests change nothing.
FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


def _send(server: SandboxServer, method: str, raw: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        if method == "GET":
            conn.putrequest("GET", "/?" + raw.decode("latin-1"), skip_accept_encoding=True)
            conn.endheaders()
        else:
            conn.request(
                "POST", "/", body=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    method=st.sampled_from(["GET", "POST"]),
    pairs=st.lists(st.tuples(NAMES, VALUES), max_size=8),
)
def test_any_parameters_get_an_fps_answer(
    shared_sandbox: SandboxServer, method: str, pairs: list[tuple[str, str]]
) -> None:
    status, body = _send(shared_sandbox, method, urlencode(pairs).encode("ascii"))
    assert status in (200, 400, 403)
    assert body.startswith(b'<?xml version="1.0"?>')
    if status != 200:
        assert b"<Response><Errors><Error><Code>" in body


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    raw=st.binary(max_size=200).filter(
        lambda b: b"\r" not in b and b"\n" not in b and b" " not in b and b"#" not in b
    )
)
def test_any_bytes_get_an_fps_answer(shared_sandbox: SandboxServer, raw: bytes) -> None:
    status, body = _send(shared_sandbox, "POST", raw)
    assert status in (400, 403)
    assert b"<Response><Errors><Error><Code>" in body
