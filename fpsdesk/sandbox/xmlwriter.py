"""FPS response documents, written as text in the XSD's element order (spec §1, §3, §5).

Element order matters to clients generated from the XSD (JAXB, the PHP library), so results
are given as ordered ``(name, content)`` pairs; a ``None`` content drops the element.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, localcontext
from xml.sax.saxutils import escape

NAMESPACE_2008 = "http://fps.amazonaws.com/doc/2008-09-17/"
NAMESPACE_2010 = "http://fps.amazonaws.com/doc/2010-08-28/"
NAMESPACES = {"2008-09-17": NAMESPACE_2008, "2010-08-28": NAMESPACE_2010}
XML_DECLARATION = '<?xml version="1.0"?>\n'

# A node is (name, text) or (name, [child nodes]); None content means "leave it out".
Node = tuple[str, "str | Sequence[Node] | None"]


# Characters XML 1.0 cannot carry, even escaped: an answer holding one would not parse.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SIX_PLACES = Decimal("0.000001")


def xml_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character no FPS answer could contain."""
    return _XML_UNSAFE.search(text) is not None


def _xml_text(text: str) -> str:
    """Escaped text; a character XML 1.0 cannot carry at all (a NUL a hand-made transaction
    may hold, to test hostile IPNs) becomes U+FFFD, so the answer still parses."""
    return escape(_XML_UNSAFE.sub("\ufffd", text))


def format_amount(value: Decimal) -> str:
    """Six decimals, the form FPS used most (``1.000000``), for any finite value.

    The context is widened to the value's own size, so an amount stored by an earlier build
    (before amounts were bounded) is still written out instead of failing the whole answer.
    """
    if not value.is_finite():
        return "0"
    if value.adjusted() > 60:
        return str(value)
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + 10)
        return f"{value.quantize(_SIX_PLACES)}"


def amount_node(name: str, value: Decimal | None, currency: str = "USD") -> Node:
    if value is None:
        return (name, None)
    return (name, [("CurrencyCode", currency), ("Value", format_amount(value))])


def render(nodes: Sequence[Node]) -> str:
    parts: list[str] = []
    _render_into(parts, nodes)
    return "".join(parts)


def _render_into(parts: list[str], nodes: Sequence[Node]) -> None:
    for name, content in nodes:
        if content is None:
            continue
        if isinstance(content, str):
            parts.append(f"<{name}>{_xml_text(content)}</{name}>")
        else:
            parts.append(f"<{name}>")
            _render_into(parts, content)
            parts.append(f"</{name}>")


def success_response(
    action: str, result: Sequence[Node] | None, request_id: str, version: str = "2008-09-17"
) -> bytes:
    """``<{Action}Response xmlns=…><{Action}Result>…</…><ResponseMetadata>…``."""
    namespace = NAMESPACES.get(version, NAMESPACE_2008)
    body = [f'<{action}Response xmlns="{namespace}">']
    if result is not None:
        body.append(render([(f"{action}Result", result)]))
    body.append(render([("ResponseMetadata", [("RequestId", request_id)])]))
    body.append(f"</{action}Response>")
    return (XML_DECLARATION + "".join(body)).encode("utf-8")


def error_response(code: str, message: str, request_id: str) -> bytes:
    """The un-namespaced ``<Response><Errors>`` form captured on the wire (spec §5)."""
    text = render(
        [
            (
                "Response",
                [
                    ("Errors", [("Error", [("Code", code), ("Message", message)])]),
                    ("RequestID", request_id),
                ],
            )
        ]
    )
    return (XML_DECLARATION + text).encode("utf-8")
