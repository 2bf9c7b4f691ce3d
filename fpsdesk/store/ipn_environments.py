"""Which FPS sent an IPN, as a label and as the SQL that lists exactly the IPNs so labelled."""

from __future__ import annotations

from collections.abc import Iterable

from fpsdesk.records.ipn import Pairs, param

# Which FPS sent an IPN, told by its certificateUrl (FPS signs with a certificate served from
# its own host): the names the environment badge uses, and "Unknown" for a notification without
# one (a 2009 IPN, a return URL). One table serves the label and the SQL filter, so a row is
# always listed under the environment it is labelled with.
ENVIRONMENT_PREFIXES: dict[str, tuple[str, ...]] = {
    "Production": ("https://fps.amazonaws.com/",),
    "Sandbox": ("https://fps.sandbox.amazonaws.com/",),
    "Local sandbox": tuple(
        f"{scheme}://{host}"
        for scheme in ("http", "https")
        for host in ("127.", "localhost:", "localhost/", "[::1]")
    ),
}
CUSTOM_ENVIRONMENT = "Custom"
UNKNOWN_ENVIRONMENT = "Unknown"
IPN_ENVIRONMENTS = (*ENVIRONMENT_PREFIXES, CUSTOM_ENVIRONMENT, UNKNOWN_ENVIRONMENT)
_CERT_PARAM = '%["certificateUrl", "'  # how the key and its value start in the stored JSON


def ipn_environment(params: Pairs) -> str:
    """The environment an IPN came from (one of ``IPN_ENVIRONMENTS``)."""
    url = (param(params, "certificateUrl") or "").lower()
    if not url:
        return UNKNOWN_ENVIRONMENT
    for name, prefixes in ENVIRONMENT_PREFIXES.items():
        if url.startswith(prefixes):
            return name
    return CUSTOM_ENVIRONMENT


def environment_clause(name: str) -> tuple[str, list[object]]:
    """SQL (over the stored JSON of ``params``) matching exactly the rows ``ipn_environment``
    names ``name``; LIKE is case-insensitive for ASCII, as the Python side lower-cases."""

    def like_any(prefixes: Iterable[str]) -> tuple[str, list[object]]:
        prefixes = list(prefixes)
        return (
            "(" + " OR ".join("params LIKE ?" for _ in prefixes) + ")",
            [f"{_CERT_PARAM}{p}%" for p in prefixes],
        )

    if name in ENVIRONMENT_PREFIXES:
        return like_any(ENVIRONMENT_PREFIXES[name])
    if name == UNKNOWN_ENVIRONMENT:
        return "params NOT LIKE ?", [f"{_CERT_PARAM}%"]
    if name == CUSTOM_ENVIRONMENT:
        known, args = like_any(p for group in ENVIRONMENT_PREFIXES.values() for p in group)
        return f"(params LIKE ? AND NOT {known})", [f"{_CERT_PARAM}%", *args]
    raise ValueError(f"unknown environment {name!r}; one of {', '.join(IPN_ENVIRONMENTS)}")
