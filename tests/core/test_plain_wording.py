"""Error wording as an agent reads it: a proxy's page is called a web page, and no sentence
ends in ".).", each caused for real against the sandbox over loopback."""

from __future__ import annotations

import pytest

from fpsdesk.desk.cancel import NotRecorded
from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.errors import describe
from fpsdesk.fps.exceptions import OutcomeUnknown, ProtocolError
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY


def _client(sandbox) -> FpsClient:
    return FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, max_retries=0)


def test_proxy_page_on_a_read_is_called_a_web_page(sandbox):
    txn = sandbox.create_transaction(status="Reserved", amount="5.00")
    sandbox.inject_fault("GetTransactionStatus", kind="html")
    with _client(sandbox) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(txn)
    text = describe(info.value).as_text()
    assert "the server answered with a web page, not FPS XML" in text
    assert "DOCTYPE" not in text
    assert "ENTITY" not in text


def test_proxy_page_after_a_cancel_reads_as_one_sentence(sandbox):
    txn = sandbox.create_transaction(status="Reserved", amount="5.00")
    sandbox.inject_fault("Cancel", kind="html")
    with _client(sandbox) as client, pytest.raises(OutcomeUnknown) as info:
        client.cancel(txn, description="test")
    explanation = describe(info.value)
    assert "web page" in explanation.detail
    assert ".)." not in explanation.as_text()
    assert explanation.detail.endswith(").")


def test_a_sentence_inside_parentheses_loses_its_full_stop():
    refused = NotRecorded("database or disk is full.")
    assert str(refused).startswith("This cancel cannot be recorded in the history (database or ")
    assert ".)." not in str(refused)
