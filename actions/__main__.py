"""Runs the action server: loopback only, token required, no data in errors.

rasa-sdk's own server binds every interface, checks no credentials and echoes
the whole tracker in its error responses; this wraps its app to fix all three.
Before it listens it loads the facts, builds the answer index and migrates the
database, so the first patient does not wait for them; then it starts the escalation
spool drainer, so that cases spooled before a restart reach the database at once.
"""

from __future__ import annotations

import hmac
import logging
import os

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from actions import services

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})


def secure_app(token: str) -> Sanic:
    """The rasa-sdk app for our actions, requiring `token` on every call."""
    app = create_app("actions", cors_origins=[])
    expected = token.encode()

    @app.on_request
    async def require_token(request: Request):  # type: ignore[no-untyped-def]
        if request.path in OPEN_PATHS:
            return None
        given = (request.args.get("token") or "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def no_patient_data(request: Request, exception: Exception):  # type: ignore[no-untyped-def]
        logger.error("Action server error: %s", type(exception).__name__, exc_info=logger.isEnabledFor(logging.DEBUG))
        return response.json({"error": "internal error"}, status=500)

    app.error_handler.add(Exception, no_patient_data)
    return app


def _warm_up(_app: Sanic, _loop: object) -> None:
    services.warm_up()


def _start_spool_drainer(_app: Sanic, _loop: object) -> None:
    services.escalations()


def main() -> None:
    """Starts the server from ACTION_SERVER_HOST/PORT/TOKEN."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    token = os.environ.get("ACTION_SERVER_TOKEN", "")
    if not token:
        raise SystemExit("ACTION_SERVER_TOKEN is not set; run through `make run` or set it.")
    app = secure_app(token)
    app.register_listener(_warm_up, "before_server_start")
    app.register_listener(_start_spool_drainer, "after_server_start")
    app.run(
        host=os.environ.get("ACTION_SERVER_HOST", "127.0.0.1"),
        port=int(os.environ.get("ACTION_SERVER_PORT", "5055")),
        workers=1,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
