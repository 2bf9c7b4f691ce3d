"""Property tests of the signer's canonicalisation, from the attacker's side.

tests/core/test_signing.py shows the signer is right (vectors, byte order, an independent
signer). These show it cannot be fooled: no parameter can inject a line or a pair into the
string to sign, every change to what is sent changes the signature, and parameter order and
the IPN ``signature`` field (any case) never count.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fpsdesk.fps.signing import (
    canonical_path,
    canonical_query,
    hmac_signature,
    ipn_string_to_sign,
    percent_encode,
    sign_request,
    string_to_sign,
)

FAST = settings(max_examples=200, deadline=None)
text = st.text(st.characters(codec="utf-8"), max_size=30)
hostile = st.one_of(
    text,
    st.sampled_from(
        [
            "&",
            "=",
            "\n",
            "\r\n",
            "&Action=Refund",
            "Signature=x",
            "%26",
            "+",
            " ",
            "\u202e",
            "\x00",
            "%0A",
            "a=b&c=d",
            "/../",
            "?",
            "#",
        ]
    ),
)
params_st = st.dictionaries(st.one_of(text, hostile), st.one_of(text, hostile), max_size=6)


def _decode(query: str) -> list[tuple[str, str]]:
    if not query:
        return []
    out = []
    for pair in query.split("&"):
        name, value = pair.split("=", 1)  # exactly one '=': names and values encode theirs
        out.append((unquote_to_bytes(name).decode(), unquote_to_bytes(value).decode()))
    return out


@FAST
@given(params_st)
def test_canonical_query_is_unambiguous(params: dict[str, str]) -> None:
    """Decoding the canonical query gives back exactly the pairs: nothing injected or lost."""
    query = canonical_query(params)
    assert query.isascii()
    assert sorted(_decode(query)) == sorted((k, v) for k, v in params.items() if k != "Signature")


@FAST
@given(params_st, st.sampled_from(["GET", "POST"]), st.one_of(text, hostile))
def test_string_to_sign_always_has_four_lines(
    params: dict[str, str], method: str, path: str
) -> None:
    sts = string_to_sign(method, "fps.example.com", path, params)
    assert sts.count("\n") == 3
    assert sts.split("\n")[2] == canonical_path(path)


@FAST
@given(params_st, st.one_of(text, hostile), st.one_of(text, hostile))
def test_any_change_changes_the_signature(params: dict[str, str], name: str, value: str) -> None:
    assume(name != "Signature")
    assume(params.get(name) != value)
    common = {
        "method": "POST",
        "url": "https://fps.sandbox.amazonaws.com/",
        "access_key_id": "AKID",
        "secret_key": "secret",
        "timestamp": "2020-01-01T00:00:00Z",
    }
    reserved = {"AWSAccessKeyId", "SignatureVersion", "SignatureMethod", "Timestamp"}
    assume(name not in reserved)
    before = sign_request(params, **common)  # type: ignore[arg-type]
    changed = {**params, name: value}
    after = sign_request(changed, **common)  # type: ignore[arg-type]
    assert before["Signature"] != after["Signature"]


@FAST
@given(params_st, st.randoms(use_true_random=False))
def test_order_never_matters(params: dict[str, str], rnd: object) -> None:
    pairs = list(params.items())
    shuffled = pairs[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert canonical_query(pairs) == canonical_query(shuffled)
    url = "https://merchant.example/ipn"
    assert ipn_string_to_sign("POST", url, pairs) == ipn_string_to_sign("POST", url, shuffled)


@FAST
@given(params_st, st.sampled_from(["signature", "Signature", "SIGNATURE", "sIgNaTuRe"]), text)
def test_ipn_signature_field_excluded_in_any_case(
    params: dict[str, str], name: str, value: str
) -> None:
    url = "https://merchant.example/ipn"
    clean = {k: v for k, v in params.items() if k.lower() != "signature"}
    assert ipn_string_to_sign("POST", url, {**clean, name: value}) == ipn_string_to_sign(
        "POST", url, clean
    )


@FAST
@given(text)
def test_percent_encode_is_ascii_and_has_no_separators(value: str) -> None:
    encoded = percent_encode(value)
    assert encoded.isascii()
    for separator in "&=\n\r +/?#":
        assert separator not in encoded


# Secret keys are printable (credentials.validate_secret); HMAC pads short keys with NULs, so
# "k" and "k\0" would be the same key, which is why NUL is not a key character here.
secrets_st = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


@FAST
@given(secrets_st, secrets_st)
def test_hmac_depends_on_the_secret(secret_a: str, secret_b: str) -> None:
    assume(secret_a != secret_b)
    text_to_sign = "POST\nfps.example.com\n/\nAction=Cancel"
    assert hmac_signature(secret_a, text_to_sign, "HmacSHA256") != hmac_signature(
        secret_b, text_to_sign, "HmacSHA256"
    )
