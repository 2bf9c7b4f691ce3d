"""Version 2010-08-28: all nine actions answered in its namespace with the same elements, and
its one request addition, OverrideIPNURL on Pay, Reserve, Settle, Refund and Cancel, which
sends that transaction's IPNs to that URL. With 2008-09-17 OverrideIPNURL stays refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from fpsdesk.fps import xmlparse
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.fixtures.sandbox import IpnCapture
from tests.sandbox import sigv2

NS_2008 = "http://fps.amazonaws.com/doc/2008-09-17/"
NS_2010 = "http://fps.amazonaws.com/doc/2010-08-28/"
OVERRIDE_ACTIONS = ["Pay", "Reserve", "Settle", "Refund", "Cancel"]


def _call(
    sandbox: SandboxServer, action: str, params: dict[str, str], version: str
) -> tuple[int, bytes]:
    host = f"127.0.0.1:{sandbox.port}"
    full = sigv2.signed_params(
        action,
        params,
        access_key=DEFAULT_ACCESS_KEY,
        secret=DEFAULT_SECRET_KEY,
        method="POST",
        host=host,
        version=version,
    )
    status, _, body = sigv2.send_raw(sandbox.url, "POST", sigv2.encode(full), host)
    return status, body.encode("utf-8")


def _params(sandbox: SandboxServer, action: str, reference: str) -> dict[str, str]:
    """A request of ``action`` that succeeds, on fresh data made through the controls."""
    if action in ("Pay", "Reserve"):
        return {
            "SenderTokenId": "CC-1",
            "CallerReference": reference,
            "TransactionAmount.Value": "12.00",
        }
    if action == "Settle":
        return {"ReserveTransactionId": sandbox.create_transaction(status="Reserved")}
    if action == "Cancel":
        return {"TransactionId": sandbox.create_transaction(status="Reserved")}
    if action == "Refund":
        paid = sandbox.create_transaction(status="Success", operation="Pay", amount="9.00")
        return {"TransactionId": paid, "CallerReference": reference}
    if action in ("GetTransactionStatus", "GetTransaction"):
        return {"TransactionId": sandbox.create_transaction(status="Reserved")}
    if action == "GetAccountActivity":
        return {"StartDate": "2000-01-01T00:00:00Z"}
    assert action == "VerifySignature"
    return {"UrlEndPoint": "http://127.0.0.1/ipn", "HttpParameters": "certificateUrl=x&a=b"}


def _shape(element: etree._Element) -> list[str]:
    """Element local names in document order: what must not differ between the versions."""
    return [etree.QName(e).localname for e in element.iter() if isinstance(e.tag, str)]


@pytest.mark.parametrize(
    "action",
    [
        "Pay",
        "Reserve",
        "Settle",
        "Cancel",
        "Refund",
        "GetTransactionStatus",
        "GetTransaction",
        "GetAccountActivity",
        "VerifySignature",
    ],
)
def test_every_action_is_answered_in_the_2010_namespace(
    sandbox: SandboxServer, action: str
) -> None:
    status, body = _call(sandbox, action, _params(sandbox, action, "ref-2010"), "2010-08-28")
    assert status == 200, body
    root = etree.fromstring(body)
    assert root.tag == f"{{{NS_2010}}}{action}Response"
    assert all(etree.QName(e).namespace == NS_2010 for e in root.iter() if isinstance(e.tag, str))
    status, body_2008 = _call(sandbox, action, _params(sandbox, action, "ref-2008"), "2008-09-17")
    assert status == 200
    assert etree.QName(etree.fromstring(body_2008)).namespace == NS_2008
    if action not in ("GetAccountActivity",):  # activity lists whatever exists by then
        assert _shape(root) == _shape(etree.fromstring(body_2008))


@pytest.mark.parametrize(
    ("action", "parse"),
    [
        ("GetTransaction", xmlparse.parse_transaction),
        ("GetAccountActivity", xmlparse.parse_account_activity),
        ("GetTransactionStatus", xmlparse.parse_transaction_status),
    ],
)
def test_fpsdesk_reads_the_2010_answers(
    sandbox: SandboxServer, action: str, parse: Callable[[bytes], object]
) -> None:
    sandbox.create_transaction(status="Success", operation="Pay", amount="3.00")
    status, body = _call(sandbox, action, _params(sandbox, action, "r"), "2010-08-28")
    assert status == 200
    assert parse(body)


@pytest.mark.parametrize("action", OVERRIDE_ACTIONS)
def test_override_ipn_url_sends_that_transactions_ipns_there(
    sandbox: SandboxServer, ipn_capture: IpnCapture, action: str
) -> None:
    account = IpnCapture()
    try:
        sandbox.set_ipn_urls([account.url])
        params = _params(sandbox, action, f"override-{action}")
        sent_before = len(account.received)
        status, body = _call(
            sandbox, action, {**params, "OverrideIPNURL": ipn_capture.url}, "2010-08-28"
        )
        assert status == 200, body
        txn_id = etree.fromstring(body).findtext(f"{{*}}{action}Result/{{*}}TransactionId")
        assert txn_id
        assert sandbox.wait_for_ipns()
        deliveries = sandbox.ipn_deliveries(txn_id)
        assert deliveries
        assert {d["url"] for d in deliveries} == {ipn_capture.url}
        assert all(d["state"] == "delivered" for d in deliveries)
        assert {p.fields["transactionId"] for p in ipn_capture.received} == {txn_id}
        assert len(account.received) == sent_before  # nothing more went to the account URL
        assert sandbox.transaction(txn_id)["override_ipn_url"] == ipn_capture.url
    finally:
        account.stop()


@pytest.mark.parametrize("action", OVERRIDE_ACTIONS)
def test_override_ipn_url_is_refused_with_2008(sandbox: SandboxServer, action: str) -> None:
    params = {**_params(sandbox, action, "old"), "OverrideIPNURL": "http://127.0.0.1:9/ipn"}
    status, body = _call(sandbox, action, params, "2008-09-17")
    assert status == 400
    root = etree.fromstring(body)
    assert root.findtext("Errors/Error/Code") == "InvalidRequest"
    assert "OverrideIPNURL" in (root.findtext("Errors/Error/Message") or "")


def test_override_ipn_url_is_checked_and_only_where_2010_defines_it(
    sandbox: SandboxServer,
) -> None:
    params = {**_params(sandbox, "Cancel", "x"), "OverrideIPNURL": "ftp://example.com/ipn"}
    status, body = _call(sandbox, "Cancel", params, "2010-08-28")
    assert status == 400
    assert etree.fromstring(body).findtext("Errors/Error/Code") == "InvalidParams"
    params = {**_params(sandbox, "GetTransaction", "x"), "OverrideIPNURL": "http://a/"}
    status, body = _call(sandbox, "GetTransaction", params, "2010-08-28")
    assert status == 400
    assert etree.fromstring(body).findtext("Errors/Error/Code") == "InvalidRequest"
