"""Serves the staff console with uvicorn: `python -m staff` (127.0.0.1:8080 by default)."""

from __future__ import annotations

import ipaddress
import logging
import sys

import uvicorn

from meso.settings import get_settings
from staff.app import create_app


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main() -> None:
    """Starts the server; refuses insecure cookies on anything but loopback."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if not settings.staff_cookie_secure and not is_loopback(settings.staff_host):
        sys.exit(
            "STAFF_COOKIE_SECURE=false is only allowed when STAFF_HOST is a loopback address "
            "(plain HTTP on this machine). Serve the console over HTTPS instead."
        )
    uvicorn.run(
        create_app(settings),
        host=settings.staff_host,
        port=settings.staff_port,
        server_header=False,
        ws="none",  # no WebSockets here; uvicorn's auto choice breaks on Rasa's pinned websockets
        proxy_headers=True,  # X-Forwarded-* trusted only from FORWARDED_ALLOW_IPS (default 127.0.0.1)
        log_level="info",
    )


if __name__ == "__main__":
    main()
