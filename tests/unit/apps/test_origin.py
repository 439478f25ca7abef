"""Which POSTs come from this page: the browser's Origin names the host the request was sent to, over http,
or over https behind the proxy docs/department.md describes (a browser there sends
`Origin: https://reports.example.com`, and nobody could sign in while only http was believed)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from reportgen.apps.serve.errors import PageError
from reportgen.apps.serve.guards import require_origin


def post(host: str, origin: str | None) -> Request:
    headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin is not None else [])
    return Request({"type": "http", "method": "POST", "path": "/signin", "headers": headers})


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("reports.example.com", "https://reports.example.com"),  # behind the https proxy
        ("reports.example.com", "https://reports.example.com:443"),
        ("reports.example.com:443", "https://reports.example.com"),
        ("reports.example.com", "http://reports.example.com"),
        ("127.0.0.1:8000", None),  # no Origin: Sec-Fetch-Site decides (none here: a same-origin tool)
    ],
)
def test_this_page_over_http_or_https_may_post(host: str, origin: str | None) -> None:
    require_origin(post(host, origin))


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("reports.example.com", "https://evil.example"),
        ("reports.example.com", "https://reports.example.com.evil.example"),
        ("reports.example.com", "https://reports.example.com:8443"),
        ("reports.example.com", "null"),
        ("reports.example.com", "ftp://reports.example.com"),
        ("127.0.0.1:8000", "http://127.0.0.1:9000"),
    ],
)
def test_another_origin_may_not(host: str, origin: str) -> None:
    with pytest.raises(PageError) as refused:
        require_origin(post(host, origin))
    assert refused.value.status == 403
