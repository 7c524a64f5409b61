"""The annotation web app: one page, server-rendered, and two form posts.

``create_app(session)`` returns an ASGI app, so tests build it in-process; ``framing annotate``
serves it with uvicorn. The page shows the next unit; a decision is posted as an ordinary
form (``POST /decide``, ``POST /undo``), written to the journal and fsynced, and only then
answered with a redirect to the page (post/redirect/get: a reload never posts twice). The
JavaScript only adds keyboard shortcuts and the definitions panel; the page works without it.

Security: every text is escaped by Jinja2's autoescape, and the Content-Security-Policy allows
scripts from this server only, so text from a corpus can never run. Request bodies are
limited to :data:`MAX_BODY` bytes. Only the page, the two posts and two named static files are
served. Every form carries a per-run secret (no cross-site posting); with a ``token`` (the
CLI sets one whenever it binds beyond 127.0.0.1) every request must carry it, once in the
address and then in a cookie.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from framing.annotate.journal import Journal
from framing.annotate.order import Queue, Suggestions, Updater
from framing.annotate.source import Source, Unit
from framing.codebook import Codebook
from framing.errors import FramingError

MAX_BODY = 64 * 1024  # a decision is a few hundred bytes; a long note still fits
MAX_NOTE = 2000
TOKEN_COOKIE = "framing_token"
# Keys for frames, in codebook order; n (note), s (skip), u (undo) and 0 (no frame) are taken.
FRAME_KEYS = "123456789abcdefghijklmopqrtvwxyz"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STATIC = {"annotate.js": "text/javascript; charset=utf-8", "annotate.css": "text/css; charset=utf-8"}


@dataclass
class Session:
    """Everything one annotation run needs: what to label, where it goes, and how it is shown."""

    source: Source
    journal: Journal
    codebook: Codebook
    queue: Queue
    suggestions: Suggestions | None = None
    updater: Updater | None = None
    blind: bool = False
    model_sha256: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # after an undo, the unit taken back is shown next, with its old frames and note
    pinned: tuple[str, tuple[str, ...], str] | None = None

    def current(self) -> tuple[Unit | None, tuple[str, ...] | None, str]:
        """The unit to show, and the frames and note to fill in (after an undo or in review)."""
        decisions = self.journal.state.decisions
        if self.pinned and self.pinned[0] not in decisions and self.pinned[0] in self.source.by_key:
            key, frames, note = self.pinned
            return self.source.by_key[key], frames, note
        per_article = Counter(d.article for d in decisions.values())
        unit = self.queue.next(set(decisions), per_article)
        # --blind hides a reviewed file's frames as it hides the model's: coders anchor on both
        prior = unit.prior_frames if unit is not None and not self.blind else None
        return unit, prior, ""

    def decide(self, key: str, event: str, frames: list[str], note: str) -> None:
        unit = self.source.by_key[key]
        extra: dict[str, Any] = {"model_sha256": self.model_sha256, "suggestions_shown": not self.blind}
        if self.suggestions is not None:
            extra["model_update"] = self.suggestions.update
        self.journal.record(event, unit.as_record(), frames=frames, note=note, **extra)
        self.pinned = None
        if self.updater is not None:
            self.updater.maybe_start(list(self.journal.state.decisions.values()))

    def undo(self) -> bool:
        last = self.journal.state.last()
        if last is None:
            return False
        self.journal.record("undo", key=last.key)
        self.pinned = (last.key, last.frames, last.note)
        return True


def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # autoescape=True for every template: corpus text is never markup
    return Environment(loader=PackageLoader("framing.annotate", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def create_app(session: Session, *, token: str | None = None,
               allowed_hosts: set[str] | None = None) -> ASGIApp:
    """The ASGI app serving ``session``.

    ``token``: required on every request when set (``?token=`` once, then a cookie).
    ``allowed_hosts``: accepted ``Host`` headers (against DNS rebinding); None accepts any.
    """
    env = _templates()
    page = env.get_template("annotate.html")
    csrf = secrets.token_urlsafe(24)
    static = {name: (files("framing.annotate") / "static" / name).read_bytes() for name in STATIC}

    def render(request: Request) -> Response:
        with session.lock:
            unit, prefill, note = session.current()
            context = _context(session, unit, prefill, note)
        context["csrf"] = csrf
        return Response(page.render(**context), media_type="text/html; charset=utf-8")

    async def home(request: Request) -> Response:
        return render(request)

    async def form(request: Request) -> dict[str, list[str]] | Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != \
                "application/x-www-form-urlencoded":
            return PlainTextResponse("send the page's form", status_code=415)
        body = await request.body()
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
        except (UnicodeDecodeError, ValueError):
            return PlainTextResponse("malformed form", status_code=400)
        if not hmac.compare_digest(fields.get("csrf", [""])[0], csrf):
            return PlainTextResponse("stale or foreign form: reload the page", status_code=403)
        return fields

    async def decide(request: Request) -> Response:
        fields = await form(request)
        if isinstance(fields, Response):
            return fields
        key = fields.get("key", [""])[0]
        action = fields.get("action", ["label"])[0]
        frames = list(dict.fromkeys(fields.get("frame", [])))
        note = fields.get("note", [""])[0].strip()
        if key not in session.source.by_key:
            return PlainTextResponse("unknown unit: reload the page", status_code=400)
        if action not in ("label", "none", "skip"):
            return PlainTextResponse(f"unknown action {action!r}", status_code=400)
        unknown = [f for f in frames if f not in session.codebook]
        if unknown:
            return PlainTextResponse(f"unknown frame(s): {', '.join(unknown)}", status_code=400)
        if len(note) > MAX_NOTE:
            return PlainTextResponse(f"note longer than {MAX_NOTE} characters", status_code=400)
        try:
            with session.lock:
                session.decide(key, "skip" if action == "skip" else "label",
                               [] if action == "none" else frames, note)
        except FramingError as exc:  # the journal could not be written: say so, stay on the unit
            return PlainTextResponse(str(exc), status_code=500)
        return RedirectResponse("/", status_code=303)

    async def undo(request: Request) -> Response:
        fields = await form(request)
        if isinstance(fields, Response):
            return fields
        try:
            with session.lock:
                session.undo()
        except FramingError as exc:
            return PlainTextResponse(str(exc), status_code=500)
        return RedirectResponse("/", status_code=303)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in static:
            return PlainTextResponse("not found", status_code=404)
        return Response(static[name], media_type=STATIC[name])

    app = Starlette(routes=[
        Route("/", home, methods=["GET"]),
        Route("/decide", decide, methods=["POST"]),
        Route("/undo", undo, methods=["POST"]),
        Route("/static/{name}", asset, methods=["GET"]),
    ])
    return Guard(app, token=token, allowed_hosts=allowed_hosts)


def _context(session: Session, unit: Unit | None, prefill: tuple[str, ...] | None,
             note: str) -> dict[str, Any]:
    state = session.journal.state
    total = len(session.source.units)
    # a journal may hold units the source no longer has (it changed between runs): count ours
    left = sum(1 for u in session.source.units if u.key not in state.decisions)
    progress = {"labelled": state.labelled, "skipped": state.skipped, "total": total, "left": left}
    suggestions = session.suggestions
    status = None
    if suggestions is not None and not session.blind:
        status = (f"model updated on {suggestions.updated_on} labels" if suggestions.update
                  else "model as loaded")
        if session.updater is not None and session.updater.running:
            status += "; updating in the background"
    base = {"unit": unit, "progress": progress, "blind": session.blind, "order": session.queue.order,
            "annotator": session.journal.annotator, "labels": str(session.journal.labels),
            "status": status, "general_rule": session.codebook.general_rule,
            "review": session.source.review, "can_undo": bool(state.decisions)}
    if unit is None:
        return {**base, "frames": [], "before": [], "after": [], "article": None, "note": ""}
    probs = suggestions.of(unit.key) if suggestions is not None and not session.blind else {}
    chosen = set(prefill or ())
    frames = []
    for i, frame in enumerate(session.codebook.frames):
        p = probs.get(frame.id)
        frames.append({"id": frame.id, "name": frame.name, "definition": frame.definition,
                       "includes": frame.includes, "excludes": frame.excludes,
                       "key": FRAME_KEYS[i] if i < len(FRAME_KEYS) else "",
                       "p": None if p is None else round(p, 2),
                       "suggested": p is not None and suggestions is not None
                       and p >= suggestions.threshold(frame.id),
                       "checked": frame.id in chosen})
    before, after = session.source.neighbours(unit)
    article = session.source.articles[unit.article]
    return {**base, "frames": frames, "before": before, "after": after, "article": article,
            "note": note, "prior": None if session.blind else unit.prior_frames}


class Guard:
    """ASGI middleware: Host check, access token, body size limit and security headers."""

    def __init__(self, app: ASGIApp, *, token: str | None, allowed_hosts: set[str] | None) -> None:
        self.app, self.token, self.allowed_hosts = app, token, allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.allowed_hosts is not None and headers.get("host", "") not in self.allowed_hosts:
            await _plain(send, 421, "unknown Host: open the address framing annotate printed")
            return
        if self.token is not None:
            given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
            cookie = _cookie(headers.get("cookie", ""), TOKEN_COOKIE)
            if given and hmac.compare_digest(given, self.token):
                await _redirect_with_cookie(send, scope["path"], self.token)
                return
            if not (cookie and hmac.compare_digest(cookie, self.token)):
                await _plain(send, 403, "forbidden: open the address with ?token=... that "
                                        "framing annotate printed at start-up")
                return
        length = headers.get("content-length")
        if scope["method"] not in ("GET", "HEAD") and length is None:
            # a known length, checked before reading: the server stops at it (h11 enforces it)
            await _plain(send, 411, "a request body needs a Content-Length")
            return
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await _plain(send, 413, f"request body over {MAX_BODY} bytes")
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, secured)


_SECURITY_HEADERS = [(k.encode(), v.encode()) for k, v in (
    ("content-security-policy", CSP), ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"), ("x-frame-options", "DENY"), ("cache-control", "no-store"))]


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _plain(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *_SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": text.encode("utf-8")})


async def _redirect_with_cookie(send: Send, path: str, token: str) -> None:
    cookie = f"{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", (path or "/").encode("latin-1")),
                            (b"set-cookie", cookie.encode("latin-1")), *_SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})
