"""QuerySigner (what the client sends) signs exactly what sign_request signs."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from fpsdesk.fps.signing import QuerySigner, SignatureMethod, percent_encode, sign_request


@given(
    params=st.dictionaries(
        st.text(min_size=1, max_size=12, alphabet=st.characters(blacklist_categories=["Cs"])),
        st.text(max_size=20, alphabet=st.characters(blacklist_categories=["Cs"])),
        max_size=6,
    ),
    method=st.sampled_from(["GET", "POST"]),
    url=st.sampled_from(
        ["https://fps.sandbox.amazonaws.com/", "http://127.0.0.1:8765/", "https://h:8443/a b/"]
    ),
    signature_method=st.sampled_from(["HmacSHA256", "HmacSHA1"]),
)
def test_the_wire_form_is_sign_requests_parameters(
    params: dict[str, str], method: str, url: str, signature_method: SignatureMethod
) -> None:
    common = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalr/K7MDENG+bPxRfiCY"}
    timestamp = "2009-10-06T09:14:58.796Z"
    expected = sign_request(
        params,
        method=method,
        url=url,
        timestamp=timestamp,
        signature_method=signature_method,
        **common,
    )
    signer = QuerySigner(method=method, url=url, signature_method=signature_method, **common)
    wire = signer.sign(params, timestamp)
    assert dict(parse_qsl(wire, keep_blank_values=True)) == expected
    assert wire.endswith(f"&Signature={percent_encode(expected['Signature'])}")
