"""Endpoint URLs: https, or plain http only to this computer; nothing odd gets through."""

from __future__ import annotations

import pytest

from fpsdesk.fps.endpoints import (
    PRODUCTION_ENDPOINT,
    SANDBOX_ENDPOINT,
    environment_of,
    validate_endpoint,
)
from fpsdesk.fps.exceptions import InvalidInput


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://fps.amazonaws.com/", "https://fps.amazonaws.com/"),
        ("  HTTPS://FPS.Sandbox.AmazonAWS.com  ", "https://fps.sandbox.amazonaws.com/"),
        ("https://fps.amazonaws.com:443", "https://fps.amazonaws.com/"),
        ("https://proxy.example:8443/fps/", "https://proxy.example:8443/fps/"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
        ("http://127.5.6.7/", "http://127.5.6.7/"),
        ("http://localhost:9000", "http://localhost:9000/"),
        ("http://[::1]:9000/", "http://[::1]:9000/"),
        ("http://127.0.0.1:80/", "http://127.0.0.1/"),
    ],
)
def test_valid(url: str, normalized: str) -> None:
    assert validate_endpoint(url) == normalized


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("", "Enter"),
        ("fps.amazonaws.com", "https://"),
        ("http://fps.amazonaws.com/", "only to this computer"),
        ("http://10.0.0.5:8080/", "only to this computer"),
        ("http://127.0.0.1.evil.example/", "only to this computer"),
        ("file:///etc/passwd", "https://"),
        ("ftp://fps.amazonaws.com/", "https://"),
        ("javascript://alert(1)", "https://"),
        ("https://user:pass@fps.amazonaws.com/", "password"),
        ("https://user@fps.amazonaws.com/", "password"),
        ("https://fps.amazonaws.com/?Action=Cancel", "query"),
        ("https://fps.amazonaws.com/#x", "fragment"),
        ("https:///path", "no host"),
        ("https://fps.amazonaws.com:99999/", "not a valid URL"),
        ("https://fps.amazon aws.com/", "spaces"),
        ("https://fps.amazonaws.com/\r\nX: y", "control"),
        ("https://fps.amazonaws.com:0/", "port 0"),
    ],
)
def test_refused(url: str, needle: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_endpoint(url)
    assert needle in str(info.value)


def test_environment_of() -> None:
    assert environment_of(PRODUCTION_ENDPOINT) == "Production"
    assert environment_of(SANDBOX_ENDPOINT) == "Sandbox"
    assert environment_of("http://127.0.0.1:5000/") == "Local sandbox"
    assert environment_of("http://localhost/") == "Local sandbox"
    assert environment_of("https://fps.example.com/") == "Custom"
    assert environment_of("not a url at all") == "Custom"
    assert environment_of("https://[::1") == "Custom"


def test_known_endpoints_validate_unchanged() -> None:
    assert validate_endpoint(PRODUCTION_ENDPOINT) == PRODUCTION_ENDPOINT
    assert validate_endpoint(SANDBOX_ENDPOINT) == SANDBOX_ENDPOINT
