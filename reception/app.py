"""The reception web app: conversation list, transcripts, exports, dashboard, JSON API.

Run it with `python -m reception` (RECEPTION_PORT, default 8081). Every route but the
login page and the static files needs a staff session: pages send an anonymous visitor to
the login page, the API answers 401. Every form carries a CSRF token.
"""

import datetime
import functools
import os
import secrets
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote, unquote, urlencode

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response
from sanic.request import Request

from reception import auth, charts, db, exports
from serving import log_privacy
from reception.conversations import PRACTICE_TZ, ConversationStore, FilterError, Filters

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "reception_session"
LOGIN_COOKIE = "reception_login"
MAX_NOTE = 2000
MAX_TAG = 40
DASHBOARD_DAYS = 90
ALERT_LOOKBACK_S = 60
# The browser may load only this app's own files: no inline script, no other origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]))
templates.filters["quote"] = lambda value: quote(str(value), safe="")


def practice_name() -> str:
    return os.environ.get("PRACTICE_NAME", "Hein Viljoen Physiotherapy")


def _set_cookie(resp: response.HTTPResponse, name: str, value: str, max_age: int) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["secure"] = True  # browsers accept Secure cookies from http://localhost too
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = max_age


def render(request: Request, name: str, status: int = 200, **context: Any) -> response.HTTPResponse:
    session = getattr(request.ctx, "session", None)
    html = templates.get_template(name).render(
        practice=practice_name(), user=session, csrf=session.csrf_token if session else "",
        **context)
    return response.html(html, status=status)


def create_app(tracker_url: Optional[str] = None, practice_url: Optional[str] = None) -> Sanic:
    auth.secret()  # refuse to start without a session secret
    app = Sanic("reception")
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.engine = db.reception_engine(tracker_url or db.tracker_db_url())
    app.ctx.store = ConversationStore(app.ctx.engine,
                                      db.engine(practice_url or db.practice_db_url()))
    app.static("/static", str(HERE / "static"), name="static")

    @app.middleware("request")
    async def refuse_nul_characters(request: Request) -> Optional[response.HTTPResponse]:
        """PostgreSQL refuses NUL in text (each query with one failed with a 500), and no
        conversation id, name, note, tag or search needs one."""
        fields = [*request.args.values(), *request.form.values()]
        if "\x00" in unquote(request.path) or any("\x00" in v for vs in fields for v in vs):
            message = "NUL characters are not accepted."
            if request.path.startswith("/api/"):
                return response.json({"error": message}, status=400)
            return response.text(message, status=400)
        return None

    @app.middleware("response")
    async def security_headers(request: Request, resp: response.HTTPResponse) -> None:
        for header, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(header, value)

    def staff(handler: Callable) -> Callable:
        """Needs a live session; a POST also needs the session's CSRF token."""
        @functools.wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> response.HTTPResponse:
            session = auth.current_session(app.ctx.engine, request.cookies.get(SESSION_COOKIE))
            is_api = request.path.startswith("/api/")
            if session is None:
                if is_api:
                    return response.json({"error": "login required"}, status=401)
                if request.method != "GET":
                    return response.text("Your session has ended; log in again.", status=401)
                return response.redirect("/login?" + urlencode({"next": request.path}))
            if request.method == "POST":
                given = request.form.get("csrf_token") if request.form else None
                given = given or request.headers.get("X-CSRF-Token")
                if not auth.tokens_match(session.csrf_token, given):
                    return response.text("Missing or wrong CSRF token: reload the page and "
                                         "try again.", status=403)
            request.ctx.session = session
            return await handler(request, *args, **kwargs)
        return wrapper

    def owner(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> response.HTTPResponse:
            if request.ctx.session.role != "owner":
                return render(request, "error.html", status=403,
                              message="The dashboard is for the practice owner.")
            return await handler(request, *args, **kwargs)
        return wrapper

    def transcript_of(conversation_id: str) -> Optional[Dict[str, Any]]:
        if len(conversation_id) > 255:
            return None
        return app.ctx.store.transcript(conversation_id)

    def not_found(request: Request, conversation_id: str) -> response.HTTPResponse:
        if request.path.startswith("/api/"):
            return response.json({"error": "no such conversation"}, status=404)
        return render(request, "error.html", status=404,
                      message=f"No conversation {conversation_id[:80]!r}.")

    @app.get("/login")
    async def login_page(request: Request) -> response.HTTPResponse:
        pre_session = secrets.token_urlsafe(24)
        resp = render(request, "login.html", next=_safe_next(request.args.get("next")),
                      login_csrf=auth.login_csrf_token(pre_session))
        _set_cookie(resp, LOGIN_COOKIE, pre_session, max_age=3600)
        return resp

    @app.post("/login")
    async def login(request: Request) -> response.HTTPResponse:
        form = request.form or {}
        pre_session = request.cookies.get(LOGIN_COOKIE) or ""
        if not pre_session or not auth.tokens_match(auth.login_csrf_token(pre_session),
                                                    form.get("csrf_token")):
            return response.text("Missing or wrong CSRF token: reload the login page.",
                                 status=403)
        username = (form.get("username") or "").strip()[:auth.USERNAME_MAX]
        password = form.get("password") or ""
        if auth.is_rate_limited(app.ctx.engine, username, request.ip or "unknown"):
            return render(request, "login.html", status=429, next="/", login_csrf=form.get(
                "csrf_token"), error="Too many failed logins. Wait 15 minutes and try again.")
        user_id = auth.check_password(app.ctx.engine, username, password,
                                      request.ip or "unknown")
        if user_id is None:
            return render(request, "login.html", status=401, next=_safe_next(form.get("next")),
                          login_csrf=form.get("csrf_token"),
                          error="Wrong user name or password.")
        auth.audit(app.ctx.engine, username, "login")
        resp = response.redirect(_safe_next(form.get("next")), status=303)
        _set_cookie(resp, SESSION_COOKIE, auth.start_session(app.ctx.engine, user_id),
                    max_age=int(auth.SESSION_MAX.total_seconds()))
        del resp.cookies[LOGIN_COOKIE]
        return resp

    @app.post("/logout")
    @staff
    async def logout(request: Request) -> response.HTTPResponse:
        auth.end_session(app.ctx.engine, request.ctx.session)
        auth.audit(app.ctx.engine, request.ctx.session.username, "logout")
        resp = response.redirect("/login", status=303)
        del resp.cookies[SESSION_COOKIE]
        return resp

    @app.get("/")
    @staff
    async def conversation_list(request: Request) -> response.HTTPResponse:
        return render(request, "list.html", channels=app.ctx.store.channels(),
                      undelivered=app.ctx.store.undelivered_messages(),
                      args={k: request.args.get(k, "") for k in
                            ("q", "channel", "from", "to", "red_flags", "unreviewed",
                             "callback")})

    @app.get("/api/conversations")
    @staff
    async def api_conversations(request: Request) -> response.HTTPResponse:
        try:
            filters = Filters.from_args({k: request.args.get(k) for k in request.args})
        except FilterError as error:
            return response.json({"error": str(error)}, status=400)
        found = app.ctx.store.list(filters)
        auth.audit(app.ctx.engine, request.ctx.session.username, "list",
                   detail=request.query_string[:500] or None)
        return response.json({"conversations": [c.as_json() for c in found[:filters.limit]],
                              "count": len(found)})

    # Conversation ids may hold ':', '+' or '/' (e.g. WhatsApp senders): links quote them,
    @app.get("/api/alerts")
    @staff
    async def api_alerts(request: Request) -> response.HTTPResponse:
        """Polled by every open page: new emergencies, urgent conversations and call-back
        requests since the last poll (`since`, the `now` of the previous answer)."""
        checked_at = time.time()
        try:
            since = float(request.args.get("since") or checked_at)
        except ValueError:
            return response.json({"error": "since must be a number"}, status=400)
        alerts = app.ctx.store.alerts_since(since)
        if alerts:
            auth.audit(app.ctx.engine, request.ctx.session.username, "alerts",
                       detail=",".join(a["kind"] for a in alerts)[:500])
        # The next poll looks back a little: the Rasa server stores a turn's events after
        # stamping them. The page tells each conversation once.
        return response.json({"alerts": alerts, "now": checked_at - ALERT_LOOKBACK_S})

    # routes marked unquote=True decode them.
    @app.get("/api/conversations/<conversation_id:str>", unquote=True)
    @staff
    async def api_conversation(request: Request, conversation_id: str) -> response.HTTPResponse:
        transcript = transcript_of(conversation_id)
        if transcript is None:
            return not_found(request, conversation_id)
        auth.audit(app.ctx.engine, request.ctx.session.username, "view_api", conversation_id)
        return response.json({
            "conversation": transcript["conversation"].as_json(),
            "slots": transcript["slots"],
            "messages": [{**item, "at": item["at"].isoformat() if item["at"] else None}
                         for item in transcript["items"]],
            "notes": [{**n, "created_at": n["created_at"].isoformat()}
                      for n in app.ctx.store.notes(conversation_id)],
        })

    @app.get("/conversations/<conversation_id:str>", unquote=True)
    @staff
    async def conversation_page(request: Request, conversation_id: str) -> response.HTTPResponse:
        transcript = transcript_of(conversation_id)
        if transcript is None:
            return not_found(request, conversation_id)
        auth.audit(app.ctx.engine, request.ctx.session.username, "view", conversation_id)
        return render(request, "conversation.html", t=transcript,
                      c=transcript["conversation"], notes=app.ctx.store.notes(conversation_id))

    def _back(conversation_id: str) -> response.HTTPResponse:
        return response.redirect(f"/conversations/{quote(conversation_id, safe='')}", status=303)

    @app.post("/conversations/<conversation_id:str>/review", unquote=True)
    @staff
    async def review(request: Request, conversation_id: str) -> response.HTTPResponse:
        if not app.ctx.store.exists(conversation_id):
            return not_found(request, conversation_id)
        username = request.ctx.session.username
        reviewed = request.form.get("reviewed", "1") == "1"
        with app.ctx.engine.begin() as connection:
            connection.execute(db.reviews.delete().where(
                db.reviews.c.conversation_id == conversation_id))
            if reviewed:
                connection.execute(db.reviews.insert().values(
                    conversation_id=conversation_id, reviewed_by=username,
                    reviewed_at=auth.now()))
        auth.audit(app.ctx.engine, username, "reviewed" if reviewed else "unreviewed",
                   conversation_id)
        return _back(conversation_id)

    @app.post("/conversations/<conversation_id:str>/notes", unquote=True)
    @staff
    async def add_note(request: Request, conversation_id: str) -> response.HTTPResponse:
        if not app.ctx.store.exists(conversation_id):
            return not_found(request, conversation_id)
        text = (request.form.get("text") or "").strip()
        if not text or len(text) > MAX_NOTE:
            return response.text(f"A note needs 1 to {MAX_NOTE} characters.", status=400)
        username = request.ctx.session.username
        with app.ctx.engine.begin() as connection:
            connection.execute(db.notes.insert().values(
                conversation_id=conversation_id, author=username, text=text,
                created_at=auth.now()))
        auth.audit(app.ctx.engine, username, "note", conversation_id)
        return _back(conversation_id)

    @app.post("/conversations/<conversation_id:str>/tags", unquote=True)
    @staff
    async def add_tag(request: Request, conversation_id: str) -> response.HTTPResponse:
        if not app.ctx.store.exists(conversation_id):
            return not_found(request, conversation_id)
        tag = (request.form.get("tag") or "").strip().lower()
        if not tag or len(tag) > MAX_TAG:
            return response.text(f"A tag needs 1 to {MAX_TAG} characters.", status=400)
        username = request.ctx.session.username
        remove = request.form.get("remove") == "1"
        with app.ctx.engine.begin() as connection:
            connection.execute(db.tags.delete().where(
                db.tags.c.conversation_id == conversation_id, db.tags.c.tag == tag))
            if not remove:
                connection.execute(db.tags.insert().values(
                    conversation_id=conversation_id, tag=tag, added_by=username,
                    added_at=auth.now()))
        auth.audit(app.ctx.engine, username, "untag" if remove else "tag", conversation_id, tag)
        return _back(conversation_id)

    @app.get("/conversations/<conversation_id:str>/export/<kind:str>", unquote=True)
    @staff
    async def export(request: Request, conversation_id: str, kind: str) -> response.HTTPResponse:
        if kind not in ("pdf", "csv", "yml"):
            return response.text("Export as pdf, csv or yml.", status=404)
        transcript = transcript_of(conversation_id)
        if transcript is None:
            return not_found(request, conversation_id)
        redacted = request.args.get("redact") == "1"
        auth.audit(app.ctx.engine, request.ctx.session.username, f"export_{kind}",
                   conversation_id, "redacted" if redacted else None)
        name = exports.export_name(conversation_id, redacted, auth.pseudonym(conversation_id))
        safe_name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60]
        if kind == "pdf":
            body = exports.pdf_export(transcript, redacted, practice_name(), name)
            content_type = "application/pdf"
        elif kind == "csv":
            body = exports.csv_export(transcript, redacted).encode("utf-8")
            content_type = "text/csv; charset=utf-8"
        else:
            body = exports.story_export(
                name, app.ctx.store.raw_events(conversation_id), redacted).encode("utf-8")
            content_type = "application/x-yaml; charset=utf-8"
            safe_name = "test_" + safe_name
        return response.raw(body, content_type=content_type, headers={
            "Content-Disposition": f'attachment; filename="{safe_name}.{kind}"'})

    @app.get("/dashboard")
    @staff
    @owner
    async def dashboard(request: Request) -> response.HTTPResponse:
        since = datetime.datetime.now(PRACTICE_TZ) - datetime.timedelta(days=DASHBOARD_DAYS)
        conversations = app.ctx.store.summaries(started_from=since.timestamp())
        auth.audit(app.ctx.engine, request.ctx.session.username, "dashboard")
        with app.ctx.engine.connect() as connection:
            recent = connection.execute(sa.select(db.audit_log).order_by(
                db.audit_log.c.id.desc()).limit(30)).mappings().all()
        unanswered = app.ctx.store.unanswered_questions(
            since.astimezone(datetime.timezone.utc).replace(tzinfo=None))
        return render(request, "dashboard.html", charts=charts.dashboard(conversations),
                      total=len(conversations), days=DASHBOARD_DAYS, audit=recent,
                      unanswered=unanswered)

    return app


def _safe_next(value: Optional[str]) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def main() -> None:
    log_privacy.install()
    port = int(os.environ.get("RECEPTION_PORT", "8081"))
    host = os.environ.get("RECEPTION_HOST", "127.0.0.1")
    create_app().run(host=host, port=port, workers=1, access_log=False, motd=False)
