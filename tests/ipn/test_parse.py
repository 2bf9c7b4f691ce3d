"""Parsing: every shape of the seed's IPN sample gives the same fields; bad input is refused
with IpnParseError (and only that), by rule, never by accident."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fpsdesk.fps.models import Amount, TransactionStatus
from fpsdesk.ipn.files import decode_text, detect_format, iter_records, parse_dump
from fpsdesk.ipn.parse import from_pairs, parse_form, parse_json_line, parse_query
from fpsdesk.records.ipn import IpnParseError
from tests.ipn.helpers import (
    SEED_PAIRS,
    SEED_PAIRS_MIME,
    TXN_ID,
    assert_well_formed_ipn,
    ipn_like_pairs,
)

DATA = Path(__file__).parent / "data"
SIGNATURE = "".join(dict(SEED_PAIRS)["signature"].split())


def _check_seed_fields(ipn: object) -> None:
    from fpsdesk.records.ipn import Ipn

    assert isinstance(ipn, Ipn)
    assert ipn.notification_type == "TransactionStatus"
    assert ipn.transaction_id == TXN_ID
    assert ipn.transaction_date == datetime(2009, 10, 6, 9, 14, 35, tzinfo=UTC)
    assert ipn.transaction_date.tzinfo is not None
    assert ipn.transaction_status is TransactionStatus.CANCELLED
    assert ipn.status_code == "Cancelled"
    assert ipn.status_message == "The transaction was explicitly cancelled by the caller."
    assert ipn.operation == "RESERVE"
    assert ipn.amount == Amount(Decimal("1.00"), "USD")
    assert str(ipn.amount_value) == "1.00"  # the digits as sent, not 1 or 1.000000
    assert ipn.currency == "USD"
    assert ipn.caller_reference == "CallerReference08"
    assert ipn.payment_method == "CC"
    assert ipn.payment_reason == "Reserve"
    assert ipn.buyer_name == "Test Business"
    assert ipn.buyer_email == "new_premium@amazon.com"
    assert ipn.recipient_name == "Test Business"
    assert ipn.recipient_email == "test-caller@amazon.com"
    assert ipn.signature_version == "2"
    assert ipn.signature_method == "RSA-SHA1"
    assert ipn.certificate_url == "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"
    assert ipn.signature == SIGNATURE
    assert len(SIGNATURE) == 344  # the 2048-bit 090909 certificate, spec §6


def test_the_seed_page_itself_imports_as_one_ipn_with_the_exact_raw_fields() -> None:
    text = (DATA / "seed_page.txt").read_text(encoding="utf-8")
    assert detect_format(text) == "dump"
    records = list(iter_records(text))
    assert len(records) == 1  # the page's prose is not mistaken for a record
    ipn = records[0].ipn
    assert records[0].error is None
    assert ipn is not None
    assert list(ipn.params) == SEED_PAIRS  # verbatim, in order
    _check_seed_fields(ipn)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("seed.form", "form"),
        ("seed.query", "query"),
        ("seed.jsonl", "jsonl"),
        ("seed.dump", "dump"),
    ],
)
def test_each_format_round_trips_the_seed_sample_exactly(name: str, fmt: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    assert detect_format(text) == fmt
    records = list(iter_records(text))
    assert [r.error for r in records] == [None]
    ipn = records[0].ipn
    assert ipn is not None
    # The files hold the signature as FPS sent it (LF every 76 chars); every other field is
    # byte for byte the seed's.
    assert list(ipn.params) == SEED_PAIRS_MIME
    _check_seed_fields(ipn)
    seed = parse_dump((DATA / "seed_page.txt").read_text(encoding="utf-8"))[0]
    assert ipn.content_hash == seed.content_hash  # so all of them are stored as one IPN
    if fmt == "query":
        assert records[0].endpoint_url == "https://merchant.example.com/fps/ipn"


def test_the_dump_keeps_a_signature_that_runs_over_several_lines() -> None:
    ipn = parse_dump((DATA / "seed.dump").read_text(encoding="utf-8"))[0]
    raw = ipn.get("signature")
    assert raw is not None
    assert raw.count("\n") == 4
    assert all(len(line) == 76 for line in raw.split("\n")[:-1])


def test_several_dump_records_and_crlf_line_ends() -> None:
    one = "notificationType: TransactionStatus\r\ntransactionId: " + TXN_ID + "\r\n"
    two = "notificationType: TokenCancellation\r\ntokenId: abc\r\n"
    ipns = parse_dump(f"-----\r\n{one}-----\r\n{two}-----\r\n")
    assert [i.notification_type for i in ipns] == ["TransactionStatus", "TokenCancellation"]
    assert ipns[0].params[1] == ("transactionId", TXN_ID)
    assert ipns[1].token_id == "abc"


def test_unicode_and_embedded_newlines_are_kept_verbatim_in_every_format() -> None:
    reason = "Café ☕ — 日本語\nsecond line\ttab"
    pairs = [
        ("notificationType", "TransactionStatus"),
        ("transactionId", TXN_ID),
        ("paymentReason", reason),
        ("buyerName", "Zoë 🙂"),
    ]
    body = urlencode(pairs).encode("ascii")
    assert parse_form(body).params == tuple(pairs)
    assert parse_query("?" + urlencode(pairs)).params == tuple(pairs)
    assert parse_json_line(json.dumps(dict(pairs)))[0].params == tuple(pairs)
    dump = "\n".join(f"{k}: {v}" for k, v in pairs)
    assert parse_dump(dump)[0].params == tuple(pairs)
    # A form body in another declared charset is decoded by that charset.
    latin = "notificationType=TokenCancellation&buyerName=Zo%EB".encode("ascii")
    assert parse_form(latin, charset="latin-1").get("buyerName") == "Zoë"


@pytest.mark.parametrize(
    "body",
    [
        b"notificationType=TransactionStatus&transactionId=" + TXN_ID.encode() + b"&statusCode=A"
        b"&statusCode=B",
        b"notificationType=TransactionStatus&transactionId="
        + TXN_ID.encode()
        + b"&signature=AAAA&Signature=BBBB",
    ],
)
def test_a_repeated_parameter_is_refused(body: bytes) -> None:
    with pytest.raises(IpnParseError, match="appears more than once"):
        parse_form(body)


def test_repeated_keys_are_refused_in_json_and_dump_too() -> None:
    with pytest.raises(IpnParseError, match="more than once"):
        parse_json_line('{"notificationType": "TokenCancellation", "tokenId": "a", "tokenId": "b"}')
    with pytest.raises(IpnParseError, match="more than once"):
        parse_dump("notificationType: TokenCancellation\ntokenId: a\ntokenId: b\n")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"hello world", "name=value"),
        (b"a=1&&b=2", "name=value"),
        (b"transactionId=" + TXN_ID.encode(), "notificationType"),
        (b"notificationType=TransactionStatus", "without a transactionId"),
        (b"notificationType=TransactionStatus&transactionId=abc", "not a transaction ID"),
        (
            b"notificationType=TransactionStatus&transactionId="
            + TXN_ID.encode()
            + b"&transactionDate=yesterday",
            "epoch",
        ),
        (
            b"notificationType=TransactionStatus&transactionId="
            + TXN_ID.encode()
            + b"&transactionDate=99999999999999",
            "epoch|range",
        ),
        (
            b"notificationType=TransactionStatus&transactionId="
            + TXN_ID.encode()
            + b"&transactionAmount=1.00+USD",
            "currency and an amount",
        ),
        (
            b"notificationType=TransactionStatus&transactionId="
            + TXN_ID.encode()
            + b"&transactionStatus=DONE",
            "not one of",
        ),
        (b"notificationType=TokenCancellation&%FF=1", "not valid utf-8"),
        (b"\xff\xfe", "not valid utf-8"),
        (b"notificationType=TokenCancellation&a+b=1", "whitespace"),
        (b"=1&notificationType=TokenCancellation", "empty name"),
    ],
)
def test_malformed_form_bodies_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(IpnParseError, match=f"(?i){message}"):
        parse_form(body)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "one object"),
        ("{not json", "not valid JSON"),
        ('{"notificationType": "TokenCancellation", "transactionDate": 1254820475}', "string"),
        ('{"params": [["notificationType"]]}', "pairs"),
        ('{"params": {"notificationType": "X"}, "extra": 1}', "unknown keys"),
        ('{"notificationType": "TokenCancellation", "x": "\\ud800"}', "Unicode"),
    ],
)
def test_malformed_json_lines(line: str, message: str) -> None:
    with pytest.raises(IpnParseError, match=message):
        parse_json_line(line)


def test_json_envelope_carries_the_endpoint_url() -> None:
    line = json.dumps(
        {
            "params": [["notificationType", "TokenCancellation"], ["tokenId", "T"]],
            "endpoint_url": "https://merchant.example.com/ipn",
            "http_method": "POST",
        }
    )
    ipn, envelope = parse_json_line(line)
    assert ipn.token_id == "T"
    assert envelope.endpoint_url == "https://merchant.example.com/ipn"


def test_a_dump_with_text_before_the_first_field_is_an_error_not_a_guess() -> None:
    with pytest.raises(IpnParseError, match="before the first"):
        parse_dump("some heading\nnotificationType: TokenCancellation\ntokenId: T\n")
    with pytest.raises(IpnParseError, match="no 'name: value'"):
        parse_dump("just prose, nothing else")


def test_a_bad_record_in_a_file_does_not_hide_the_good_ones() -> None:
    good = f"notificationType=TransactionStatus&transactionId={TXN_ID}"
    records = list(iter_records(f"{good}\nnot=an&ipn\n{good}&x=1\n"))
    assert [r.line for r in records] == [1, 2, 3]
    assert [r.error is None for r in records] == [True, False, True]


def test_typed_fields_from_pairs() -> None:
    ipn = from_pairs(
        [
            ("notificationType", "TransactionStatus"),
            ("transactionId", TXN_ID),
            ("transactionAmount", "USD 1.100000"),
            ("transactionStatus", "success"),
            ("operation", "pay"),
            ("status", "INITIATED"),
            ("parentTransactionId", "14DRG2JGR7LK4J54P544DKKNDLQFFZLE323"),
        ]
    )
    assert ipn.amount == Amount(Decimal("1.100000"), "USD")
    assert ipn.transaction_status is TransactionStatus.SUCCESS
    assert ipn.operation == "PAY"
    assert ipn.legacy_status == "INITIATED"
    assert ipn.parent_transaction_id == "14DRG2JGR7LK4J54P544DKKNDLQFFZLE323"
    assert ipn.signature is None


def test_decode_text_refuses_non_utf8_files() -> None:
    assert decode_text("\ufeffa=b".encode()) == "a=b"
    with pytest.raises(IpnParseError, match="not UTF-8"):
        decode_text(b"a=\xff")


# -- property tests: arbitrary input raises only IpnParseError ------------------------------

_texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["notificationType=TransactionStatus&transactionId=", "notificationType: ", "{", "?", "---"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), ipn_like_pairs().map(lambda p: urlencode(p).encode())))
def test_parse_form_on_any_bytes_raises_only_parse_errors(data: bytes) -> None:
    try:
        ipn = parse_form(data)
    except IpnParseError:
        return
    assert_well_formed_ipn(ipn)


@settings(max_examples=300, deadline=None)
@given(_texts, _texts)
def test_every_text_parser_raises_only_parse_errors(head: str, tail: str) -> None:
    text = head + tail
    for parse in (parse_query, lambda t: parse_json_line(t)[0], parse_form):
        with contextlib.suppress(IpnParseError):
            assert_well_formed_ipn(parse(text))
    with contextlib.suppress(IpnParseError):
        for ipn in parse_dump(text):
            assert_well_formed_ipn(ipn)
    for fmt in ("form", "query", "jsonl", "dump", None):
        for record in iter_records(text, fmt):  # type: ignore[arg-type]
            assert (record.ipn is None) != (record.error is None)
            assert record.line >= 1
            if record.ipn is not None:
                assert_well_formed_ipn(record.ipn)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(
                st.characters(codec="utf-8", exclude_categories=("Cc", "Zs", "Zl", "Zp")),
                min_size=1,
                max_size=20,
            ),
            st.text(st.characters(codec="utf-8"), max_size=40),
        ),
        max_size=8,
    )
)
def test_json_lines_of_arbitrary_pairs_round_trip_or_fail_cleanly(
    pairs: list[tuple[str, str]],
) -> None:
    full = [("notificationType", "TokenCancellation"), *pairs]
    line = json.dumps({"params": [list(p) for p in full]})
    try:
        ipn, _ = parse_json_line(line)
    except IpnParseError:
        return
    assert ipn.params == tuple(full)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
        ),
        max_leaves=10,
    )
    | ipn_like_pairs().map(lambda pairs: {"params": dict(pairs)})
)
def test_any_json_value_raises_only_parse_errors(value: object) -> None:
    try:
        ipn, envelope = parse_json_line(json.dumps(value))
    except IpnParseError:
        return
    assert_well_formed_ipn(ipn)
    assert envelope.http_method in (None, "GET", "POST")
    assert envelope.endpoint_url is None or isinstance(envelope.endpoint_url, str)
