"""Property tests: every parser, fed arbitrary input, raises nothing but the project's own errors.

"Own errors" per parser: the FPS core raises ``FpsClientError`` subclasses (ProtocolError,
FpsError, InvalidInput); the IPN parsers ``IpnParseError``; settings ``SettingsError``. Anything
else escaping (an lxml, Unicode, Decimal, Recursion, Key or Index error) would reach a user as a
traceback, and fails the test. Hypothesis shrinks any failure to a minimal input.
"""

from __future__ import annotations

import codecs
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fpsdesk.fps import xmlparse
from fpsdesk.fps.endpoints import environment_of, is_loopback_host, validate_endpoint
from fpsdesk.fps.exceptions import FpsClientError, InvalidInput
from fpsdesk.fps.ids import extract_transaction_id, normalize_transaction_id
from fpsdesk.ipn import files as ipn_files
from fpsdesk.ipn import parse as ipn_parse
from fpsdesk.ipn.verify import TrustPolicy
from fpsdesk.records.ipn import IpnParseError, IpnVerdict
from fpsdesk.settings import (
    InvalidProfile,
    Profile,
    Settings,
    SettingsError,
    SettingsFileBroken,
    parse_settings,
)
from fpsdesk.settings_store import SettingsStore
from tests.core import fpsstub
from tests.ipn.helpers import assert_well_formed_ipn, ipn_like_pairs

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_text = st.text(max_size=200)
any_bytes = st.binary(max_size=400)

# -- FPS XML ----------------------------------------------------------------------------------

NS = xmlparse.NS_2008
ELEMENTS = [
    "CancelResponse",
    "CancelResult",
    "TransactionId",
    "TransactionStatus",
    "ResponseMetadata",
    "RequestId",
    "GetTransactionStatusResponse",
    "GetTransactionStatusResult",
    "CallerReference",
    "StatusCode",
    "StatusMessage",
    "GetTransactionResponse",
    "GetTransactionResult",
    "Transaction",
    "CallerTransactionDate",
    "DateReceived",
    "DateCompleted",
    "TransactionAmount",
    "CurrencyCode",
    "Value",
    "FPSOperation",
    "PaymentMethod",
    "SenderTokenId",
    "RecipientTokenId",
    "StatusHistory",
    "Date",
    "Amount",
    "RelatedTransaction",
    "RelationType",
    "VerifySignatureResponse",
    "VerifySignatureResult",
    "VerificationStatus",
    "Response",
    "Errors",
    "Error",
    "Code",
    "Message",
    "ErrorResponse",
    "RequestID",
    "GetAccountActivityResponse",
    "GetAccountActivityResult",
    "BatchSize",
    "TransactionPart",
    "Role",
    "FeesPaid",
    "StartTimeForNextTransaction",
    "RefundResponse",
    "RefundResult",
]
TEXTS = st.one_of(
    st.sampled_from(
        [
            "Reserved",
            "PENDING",
            "Success",
            "Failure",
            "Cancelled",
            "USD",
            "1.00",
            "-0",
            "NaN",
            "1e999999",
            "2009-10-06T09:14:58.796Z",
            "9999-99-99T99:99:99Z",
            "Cancel",
            "Refund",
            "Pay",
            "",
            " ",
            "Parent",
            "Caller",
            "Valid",
        ]
    ),
    st.text(max_size=30),
)


def _xml(draw: st.DrawFn, depth: int) -> str:
    name = draw(st.sampled_from(ELEMENTS))
    if depth <= 0 or draw(st.booleans()):
        text = draw(TEXTS)
        escaped = text.replace("&", "&amp;").replace("<", "&lt;")
        return f"<{name}>{escaped}</{name}>"
    inner = "".join(_xml(draw, depth - 1) for _ in range(draw(st.integers(0, 4))))
    return f"<{name}>{inner}</{name}>"


@st.composite
def fps_documents(draw: st.DrawFn) -> bytes:
    """Documents shaped like FPS answers, with random structure and values."""
    root = draw(st.sampled_from(ELEMENTS))
    ns = draw(st.sampled_from([f' xmlns="{NS}"', "", ' xmlns="urn:other"']))
    body = "".join(_xml(draw, 3) for _ in range(draw(st.integers(0, 5))))
    text = f'<?xml version="1.0"?><{root}{ns}>{body}</{root}>'
    # Sometimes cut it short, as a dropped connection would.
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass")


# Whole answers as FPS sends them, so that the success path is taken too.
GENUINE_ANSWERS = [
    fpsstub.CANCEL_XML,
    fpsstub.STATUS_XML,
    fpsstub.TRANSACTION_XML,
    fpsstub.VERIFY_XML,
]

PARSERS = [
    lambda b, s: xmlparse.parse_action_result("Cancel", b, s),
    lambda b, s: xmlparse.parse_action_result("Refund", b, s),
    xmlparse.parse_transaction_status,
    xmlparse.parse_transaction,
    xmlparse.parse_verify_signature,
    xmlparse.parse_account_activity,
]


@FAST
@given(
    body=st.one_of(any_bytes, fps_documents(), st.sampled_from(GENUINE_ANSWERS)),
    status=st.sampled_from([None, 200, 400, 502]),
)
@example(body=b"<a>" * 5000, status=200)
@example(body=b"\xef\xbb\xbf<?xml version='1.0' encoding='latin-1'?><x/>", status=200)
@example(body=b'<?xml version="1.0" encoding="bogus"?><x/>', status=200)
def test_fps_xml_parsers_raise_only_fps_errors(body: bytes, status: int | None) -> None:
    for parse in PARSERS:
        try:
            result = parse(body, status)
        except FpsClientError:
            continue
        # An answer is read from the body alone: read again, the same bytes give an equal one,
        # and it always names the request FPS answered.
        assert result == parse(body, status)
        assert isinstance(result.request_id, str)


@FAST
@given(
    st.one_of(
        st.text(max_size=60),
        st.datetimes().map(datetime.isoformat),
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    )
)
def test_parse_datetime_raises_only_protocol_errors(text: str) -> None:
    try:
        moment = xmlparse.parse_datetime(text)
    except FpsClientError:
        return
    assert moment.tzinfo is not None  # never a naive time: every display converts it
    assert xmlparse.parse_datetime(moment.isoformat()) == moment


# -- transaction IDs --------------------------------------------------------------------------


@FAST
@given(any_text)
@example("\ud800")
def test_transaction_ids(text: str) -> None:
    try:
        normalized = normalize_transaction_id(text)
    except InvalidInput as exc:
        message = str(exc)
        normalized = None
    if normalized is None:
        assert message.isprintable()
    else:
        assert normalized == text.strip().upper()
        assert normalized.isascii()
        assert normalized.isalnum()
        assert len(normalized) <= 35
    found = extract_transaction_id(text)
    if found is not None:
        assert normalize_transaction_id(found) == found


# -- endpoints --------------------------------------------------------------------------------

url_like = st.one_of(
    any_text,
    st.builds(
        lambda scheme, user, host, port, path: f"{scheme}://{user}{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTPS", "file", "ftp", "javascript", ""]),
        st.sampled_from(["", "u:p@", "@", "a@b@"]),
        st.sampled_from(
            [
                "127.0.0.1",
                "localhost",
                "[::1]",
                "[::ffff:127.0.0.1]",
                "example.com",
                "10.0.0.1",
                "127.0.0.1.evil.com",
                "[zz]",
                "",
                "%00",
                "xn--nxasmq6b",
            ]
        ),
        st.sampled_from(["", ":0", ":8080", ":99999", ":-1", ":abc", ":"]),
        st.sampled_from(["", "/", "/a b", "/?q", "/#f", "/%2e%2e/", "/\u202e"]),
    ),
)


@FAST
@given(url_like)
def test_validate_endpoint_is_safe_and_idempotent(url: str) -> None:
    environment_of(url)  # never raises
    try:
        normalized = validate_endpoint(url)
    except InvalidInput:
        return
    assert validate_endpoint(normalized) == normalized
    assert "@" not in normalized
    scheme = normalized.split("://", 1)[0]
    assert scheme in ("https", "http")
    if scheme == "http":
        assert environment_of(normalized) == "Local sandbox"


# -- IPN parsers ------------------------------------------------------------------------------

ipn_names = st.sampled_from([*sorted(ipn_parse.KNOWN_FIELDS), "x", "Signature", "a.b", "n-1"])
ipn_pairs = st.lists(st.tuples(st.one_of(ipn_names, st.text(max_size=12)), any_text), max_size=8)


def _form(pairs: list[tuple[str, str]]) -> str:
    from urllib.parse import quote

    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


@FAST
@given(
    st.one_of(
        any_bytes,
        st.one_of(ipn_pairs, ipn_like_pairs()).map(
            lambda p: _form(p).encode("utf-8", "surrogatepass")
        ),
    )
)
@example(b"notificationType=TransactionStatus&transactionId=" + b"%FF" * 3)
def test_ipn_form_parser(body: bytes) -> None:
    try:
        ipn = ipn_parse.parse_form(body)
    except IpnParseError:
        return
    assert_well_formed_ipn(ipn)


@FAST
@given(
    st.one_of(any_text, ipn_pairs.map(_form), ipn_like_pairs().map(_form)),
    st.sampled_from(["", "?", "https://merchant.example/ipn?", "http://[::1]:0/?"]),
)
def test_ipn_query_parser(text: str, prefix: str) -> None:
    try:
        ipn = ipn_parse.parse_query(prefix + text)
    except IpnParseError:
        return
    assert_well_formed_ipn(ipn)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@FAST
@given(
    st.one_of(
        any_text,
        json_values.map(json.dumps),
        st.dictionaries(
            st.sampled_from(["params", "endpoint_url", "http_method", "received_at", "x"]),
            json_values,
        ).map(json.dumps),
        st.one_of(ipn_pairs, ipn_like_pairs()).map(
            lambda pairs: json.dumps({"params": dict(pairs), "http_method": "POST"})
        ),
    )
)
@example('{"params": {"notificationType": "TransactionStatus"}, "params": {}}')
@example("[" * 3000)
def test_ipn_json_line_parser(line: str) -> None:
    try:
        ipn, envelope = ipn_parse.parse_json_line(line)
    except IpnParseError:
        return
    assert_well_formed_ipn(ipn)
    assert envelope.http_method in (None, "GET", "POST")


@FAST
@given(
    st.one_of(
        any_text,
        st.lists(st.tuples(ipn_names, any_text), max_size=8).map(
            lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs)
        ),
        ipn_like_pairs().map(lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs)),
    )
)
def test_ipn_dump_and_file_parsers(text: str) -> None:
    with contextlib.suppress(IpnParseError):
        for ipn in ipn_files.parse_dump(text):
            assert_well_formed_ipn(ipn)
    for fmt in (None, *ipn_files.FORMATS):
        for record in ipn_files.iter_records(text, fmt):
            assert (record.ipn is None) != (record.error is None)
            if record.ipn is not None:
                assert_well_formed_ipn(record.ipn)


@FAST
@given(any_bytes)
def test_ipn_decode_text(data: bytes) -> None:
    try:
        text = ipn_files.decode_text(data)
    except IpnParseError:
        return
    # UTF-8 exactly as given, less one leading byte-order mark: nothing guessed, nothing lost.
    assert text.encode("utf-8") == data.removeprefix(b"\xef\xbb\xbf")


@FAST
@given(st.one_of(st.none(), any_text))
def test_ipn_charset_of(content_type: str | None) -> None:
    try:
        charset = ipn_parse.charset_of(content_type)
    except IpnParseError:
        return
    assert charset == charset.lower()
    assert codecs.lookup(charset)  # a body in it can be decoded
    if not content_type or "charset" not in content_type.lower():
        assert charset == "utf-8"


@FAST
@given(url_like)
def test_certificate_url_check_never_raises(url: str) -> None:
    policy = TrustPolicy.of(["127.0.0.1:8080", "fps.sandbox.amazonaws.com"])
    refusal = policy.check_certificate_url(url)
    if refusal is not None:
        assert refusal.status == IpnVerdict.FAILED
        assert refusal.reason
        return
    # Allowed: a trusted host, over https (plain http only to this computer), no user name.
    parts = urlsplit(url)
    assert parts.scheme.lower() == "https" or is_loopback_host(parts.hostname or "")
    assert "@" not in parts.netloc
    assert policy.trusts(url)


# -- settings ---------------------------------------------------------------------------------

profile_json = st.fixed_dictionaries(
    {
        "name": st.one_of(st.text(max_size=70), json_values, st.sampled_from(["team", " Desk 2 "])),
        "endpoint": st.one_of(
            url_like,
            json_values,
            st.sampled_from(["https://fps.sandbox.amazonaws.com/", "http://127.0.0.1:8080/"]),
        ),
        "access_key_id": st.one_of(
            st.text(max_size=30), json_values, st.from_regex(r"[A-Z0-9]{20}", fullmatch=True)
        ),
    },
    optional={
        "ipn_verification": st.one_of(st.sampled_from(["local", "remote"]), json_values),
        "ca_bundle": st.one_of(st.none(), st.text(max_size=30), json_values),
    },
)
settings_json = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "version": st.one_of(st.just(1), json_values),
            "profiles": st.one_of(st.lists(profile_json, max_size=3), json_values),
        },
        optional={"current": st.one_of(st.text(max_size=10), json_values)},
    ),
)


@FAST
@given(st.one_of(any_bytes, settings_json.map(lambda v: json.dumps(v).encode())))
@example(b'{"version": 1e400}')
@example(b'{"version": true, "profiles": []}')
def test_settings_parser(raw: bytes) -> None:
    try:
        loaded = parse_settings(raw)
    except SettingsError:
        return
    assert isinstance(loaded, Settings)
    for profile in loaded.profiles:
        assert isinstance(profile, Profile)


@FAST
@given(profile_json)
def test_profile_from_json(data: dict[str, object]) -> None:
    try:
        profile = Profile.from_json(data)
    except InvalidProfile:
        return
    assert Profile.from_json(profile.to_json()) == profile  # what is saved reads back the same
    assert profile.name == str(data["name"]).strip()
    assert profile.name.isprintable()


@settings(max_examples=60, deadline=None)
@given(raw=st.one_of(any_bytes, settings_json.map(lambda v: json.dumps(v).encode())))
def test_settings_store_load_never_loses_the_file(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    path: Path = tmp_path_factory.mktemp("settings") / "settings.json"
    path.write_bytes(raw)
    store = SettingsStore(path)
    try:
        store.load()
    except SettingsFileBroken as exc:
        kept = exc.moved_to if exc.moved_to is not None else path
        assert kept.read_bytes() == raw
    else:
        assert path.read_bytes() == raw
