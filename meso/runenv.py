"""Runs a command with the project's environment.

Precedence, lowest first: the documented defaults in `.env.example`, secrets
generated once for this machine (`var/secrets.env`), the operator's `.env`, and
the process environment, which always wins.

Usage: python -m meso.runenv COMMAND [ARGS...]
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Dict

from meso.settings import PROJECT_ROOT, read_dotenv

GENERATED_SECRETS = ("ACTION_SERVER_TOKEN", "STAFF_SESSION_SECRET", "RASA_JWT_SECRET", "WIDGET_SESSION_SECRET")


def local_secrets(path: Path) -> Dict[str, str]:
    """Random secrets for a local run, created on first use (mode 0600)."""
    values = read_dotenv(path)
    missing = [name for name in GENERATED_SECRETS if not values.get(name)]
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        values.update({name: secrets.token_urlsafe(32) for name in missing})
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(f"{key}={value}\n" for key, value in values.items())
    return values


def project_environment(root: Path = PROJECT_ROOT) -> Dict[str, str]:
    """The merged environment a project process runs with."""
    merged: Dict[str, str] = {}
    merged.update({k: v for k, v in read_dotenv(root / ".env.example").items() if v})
    merged.update(local_secrets(root / "var" / "secrets.env"))
    merged.update({k: v for k, v in read_dotenv(root / ".env").items() if v})
    merged.update(os.environ)
    # Project commands (python, rasa, honcho) come from this interpreter's venv.
    merged["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), merged.get("PATH", "")])
    return merged


def main() -> None:
    """Replaces this process with the command, in the project environment."""
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    os.chdir(PROJECT_ROOT)
    os.execvpe(sys.argv[1], sys.argv[1:], project_environment())  # noqa: S606 - the point of this module


if __name__ == "__main__":
    main()
