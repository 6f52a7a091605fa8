"""Starts the Rasa server: its HTTP API off unless RASA_ENABLE_API=true, then JWT only.

Rasa's API can read and rewrite any conversation. It stays off by default; when
RASA_ENABLE_API=true it is on with `--jwt-secret $RASA_JWT_SECRET` and never with
`--auth-token` (a token in the query string ends up in access logs). Rasa's CLI is
run in this process, so the secret never appears in the process list.

Usage: python -m serving.rasa_server [extra `rasa run` arguments]
"""

from __future__ import annotations

import os
import sys
from typing import List, Mapping, Sequence

TRUE = frozenset({"1", "true", "yes", "on"})


def rasa_run_args(env: Mapping[str, str], extra: Sequence[str] = ()) -> List[str]:
    """The `rasa run` arguments for this environment.

    Raises:
        ValueError: RASA_ENABLE_API is true but RASA_JWT_SECRET is empty, or `extra`
            asks for token authentication.
    """
    if any(arg in ("-t", "--auth-token") or arg.startswith("--auth-token=") for arg in extra):
        raise ValueError("Rasa's API takes JWTs only: --auth-token is refused.")
    args = [
        "run",
        "--model", env.get("RASA_MODEL", "models/meso.tar.gz"),
        "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml",
        "--interface", env.get("RASA_HOST", "127.0.0.1"),
        "--port", env.get("RASA_PORT", "5005"),
    ]  # fmt: skip
    if env.get("RASA_ENABLE_API", "").strip().lower() in TRUE:
        secret = env.get("RASA_JWT_SECRET", "")
        if not secret:
            raise ValueError("RASA_ENABLE_API=true needs RASA_JWT_SECRET (the API only takes JWTs).")
        args += ["--enable-api", "--jwt-secret", secret, "--jwt-method", "HS256"]
    return [*args, *extra]


def main() -> None:
    """Runs `rasa run` with `rasa_run_args` in this process."""
    try:
        args = rasa_run_args(os.environ, sys.argv[1:])
    except ValueError as error:
        raise SystemExit(str(error)) from None
    import serving.preload  # noqa: F401,I001 - first: saves ~15 s of cold start (see that module)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
