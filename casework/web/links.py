"""Links that carry the current request's query string on: the one place that decides
which of its arguments they may carry."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request, url_for

# url_for's own keyword arguments and the name of its first parameter: a query string
# naming one would steer the link (its method, host, scheme or fragment) or break it.
RESERVED = frozenset({"_anchor", "_external", "_method", "_scheme", "endpoint"})


def carried_args() -> dict[str, list[str]]:
    """The request's query arguments a link may carry on: all but url_for's reserved
    keywords and any other name starting with ``_`` (none is an argument of ours)."""
    return {name: values for name, values in request.args.to_dict(flat=False).items()
            if name not in RESERVED and not name.startswith("_")}


def url_with_args(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` carrying the request's query arguments along;
    ``values`` (a path's own arguments among them) win over arguments of the same name."""
    return url_for(endpoint, **{**carried_args(), **values})


def this_page() -> str:
    """The current page's path with the arguments a link may carry (for a form that comes
    back here, such as the language switch's ``next``)."""
    query = urlencode(carried_args(), doseq=True)
    return f"{request.path}?{query}" if query else request.path
