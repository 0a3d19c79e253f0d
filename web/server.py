"""Serves the website chat page and its scripts (vendored, never from a CDN).

The page talks to the Rasa server's socket.io channel directly; the browser needs its
public address (`RASA_PUBLIC_URL`, default http://localhost:$RASA_PORT), and the Rasa
server accepts this page's origin (`WEB_ORIGINS` in credentials.yml).
Run: `python -m web.server` (port `WEB_PORT`, default 8080).
"""

import html
import json
import os
from pathlib import Path
from string import Template
from typing import Dict, Text

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.practice import practice_slots

HERE = Path(__file__).resolve().parent
PAGE = Template((HERE / "templates" / "index.html").read_text(encoding="utf-8"))


def rasa_public_url() -> Text:
    return os.environ.get("RASA_PUBLIC_URL") or f"http://localhost:{os.environ.get('RASA_PORT', '5005')}"


def security_headers(socket_url: Text) -> Dict[Text, Text]:
    websocket_url = socket_url.replace("https://", "wss://").replace("http://", "ws://")
    return {
        # The widget injects its own styles; scripts and connections stay locked down.
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data:; font-src 'self' data:; "
            f"connect-src 'self' {socket_url} {websocket_url}; "
            "frame-ancestors 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def render_page(socket_url: Text) -> Text:
    practice = practice_slots()
    widget = {"socketUrl": socket_url, "title": practice["practice_name"]}
    return PAGE.substitute(
        practice_name=html.escape(practice["practice_name"]),
        ambulance=html.escape(practice["emergency_ambulance"]),
        cell=html.escape(practice["emergency_cell"]),
        practice_phone=html.escape(practice["practice_phone"]),
        widget_config=html.escape(json.dumps(widget), quote=True),
    )


def create_app() -> Sanic:
    app = Sanic("practice_web")
    app.static("/static", str(HERE / "static"))

    @app.get("/")
    async def page(_: Request) -> HTTPResponse:
        socket_url = rasa_public_url()
        return response.html(render_page(socket_url), headers=security_headers(socket_url))

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    return app


if __name__ == "__main__":
    create_app().run(host=os.environ.get("WEB_HOST", "127.0.0.1"),
                     port=int(os.environ.get("WEB_PORT", "8080")), access_log=False)
