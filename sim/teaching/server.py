"""The teaching app's web server: Solara's, behind a guard that answers only requests addressed
to this server by one of its own names (the Host header) and, when a browser says where a
request comes from (the Origin header), only those from its own pages. A page on another site
that points a name of its own at this machine (DNS rebinding), or opens a WebSocket to it, is
turned away, so it cannot drive the app.

`python -m sim app` serves `build()` with uvicorn; it passes the address in SIM_APP_HOST and
SIM_APP_PORT. Further names a class may use (say the machine's name on the school network)
go in SIM_APP_HOSTS, separated by commas.
"""

from __future__ import annotations

import gc
import ipaddress
import os
import socket
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
ANY = ("0.0.0.0", "::")


def host_names(host: str, extra: str = "") -> set[str]:
    """The names this server answers to: where it listens, and when it listens on every address,
    the machine's own name and addresses."""
    names = {*LOCAL_NAMES, host.lower()} | {n.strip().lower() for n in extra.split(",") if n.strip()}
    if host in ANY:
        machine = socket.gethostname()
        names |= {machine.lower(), socket.getfqdn().lower()}
        try:
            names |= set(socket.gethostbyname_ex(machine)[2])
        except OSError:
            pass
    return names - set(ANY)


def _name_port(authority: str) -> tuple[str, int | None]:
    """'Example.org:8765' -> ('example.org', 8765); '[::1]:80' -> ('::1', 80)."""
    try:
        parts = urlsplit("//" + authority)
        return (parts.hostname or ""), parts.port
    except ValueError:
        return "", None


def allowed(headers: dict[bytes, bytes], names: set[str], port: int) -> bool:
    """Whether a request's Host (and Origin, when given) name this server."""
    name, given = _name_port(headers.get(b"host", b"").decode("latin-1"))
    if name not in names or given not in (port, None):
        return False
    origin = headers.get(b"origin")
    if origin is None:
        return True
    parts = urlsplit(origin.decode("latin-1"))
    try:
        return parts.scheme in ("http", "https") and (parts.hostname or "") in names and parts.port in (port, None)
    except ValueError:
        return False


class Guard:
    """ASGI middleware: a request not addressed to this server gets 403 (a WebSocket is closed)."""

    def __init__(self, app, names: set[str], port: int):
        self.app, self.names, self.port = app, {_canonical(n) for n in names}, port

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and not allowed(dict(scope["headers"]), self.names, self.port):
            if scope["type"] == "websocket":
                await receive()  # the connect message
                await send({"type": "websocket.close", "code": 1008})
                return
            body = b"This server answers only to its own address.\n"
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _canonical(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()


YOUNG_OBJECTS = 20_000  # allocations between the cyclic collector's youngest-generation passes (Python's: 700)


def build() -> Guard:
    """The guarded Solara app, for `uvicorn --factory sim.teaching.server:build`.

    Each packet is a few hundred small lists and dicts that live until the next one, half a
    second; with Python's default thresholds they outlive the young generations, and the
    oldest generation (every open page's models) was scanned again several times a second: a
    fifth of the server's time with eight students playing. A larger young generation lets them
    die young."""
    from solara.server.starlette import app as solara_app

    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])

    host = os.environ.get("SIM_APP_HOST", "127.0.0.1")
    return Guard(solara_app, host_names(host, os.environ.get("SIM_APP_HOSTS", "")),
                 int(os.environ.get("SIM_APP_PORT", "8765")))
