"""Console administration from the command line.

    python -m staff.manage create-user USERNAME --role staff|clinician|admin [--password-stdin]
    python -m staff.manage set-password USERNAME [--password-stdin]
    python -m staff.manage disable-user USERNAME | enable-user USERNAME
    python -m staff.manage list-users
    python -m staff.manage reset-mfa USERNAME
    python -m staff.manage create-token NAME --scope escalations:read [--scope ...] [--days N]
    python -m staff.manage list-tokens | revoke-token NAME
    python -m staff.manage purge [--days N]
    python -m staff.manage seed-demo
    python -m staff.manage export-facts [--output FILE]
    python -m staff.manage import-facts FILE [--author USERNAME]

Passwords are read from a prompt (typed twice) or, with --password-stdin, from the first
line of standard input; never from the command line, where other users and the shell
history could see them. A new account enrols its second factor (TOTP) at its first
sign-in; `reset-mfa` makes the user enrol again (lost phone, used-up recovery codes).
`create-token` prints the new API token once; only its hash is stored.
`export-facts` writes the published facts book in facts.yml form; `import-facts` validates
a file in that form and sends every fact that differs from the published one for review
(nothing is published until a clinician approves it in the console).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import List, Optional, TextIO

from meso.accounts.api_tokens import DEFAULT_DAYS, SCOPES, ApiTokenStore, TokenExists, UnknownToken
from meso.accounts.audit import AuditLog
from meso.accounts.mfa import SecondFactorStore
from meso.accounts.users import ROLES, StaffUserStore, UnknownUser, UserExists
from meso.clock import utcnow
from meso.content.facts import default_facts_path, display_path, read_facts_data
from meso.review.fact_versions import FactVersionStore
from meso.settings import Settings, get_settings
from staff.retention import purge
from staff.sessions import SessionStore

CLI_ACTOR = "cli"


def read_password(from_stdin: bool, stdin: TextIO = sys.stdin) -> str:
    """The new password from stdin's first line or from a confirmed prompt.

    Raises:
        ValueError: The two prompted passwords differ.
    """
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (12+ characters): ")
    if getpass.getpass("Repeat password: ") != first:
        raise ValueError("the passwords do not match")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m staff.manage", description="Staff console administration."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, default="staff")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    password = commands.add_parser("set-password", help="replace a password (signs the user out)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    for name in ("disable-user", "enable-user"):
        commands.add_parser(name, help=f"{name.split('-')[0]} an account").add_argument("username")
    commands.add_parser("list-users", help="list accounts")
    commands.add_parser("reset-mfa", help="remove a second factor: enrol again at next sign-in").add_argument(
        "username"
    )
    token = commands.add_parser("create-token", help="create an API token (printed once)")
    token.add_argument("name", help="the integration's name, shown in the audit log")
    token.add_argument("--scope", action="append", choices=SCOPES, required=True, help="repeat for more")
    token.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"lifetime (default {DEFAULT_DAYS})")
    commands.add_parser("list-tokens", help="list API tokens (never their values)")
    commands.add_parser("revoke-token", help="revoke an API token at once").add_argument("name")
    retention = commands.add_parser("purge", help="delete conversations and escalations past retention")
    retention.add_argument("--days", type=int, default=None, help="retention period (default RETENTION_DAYS)")
    commands.add_parser("seed-demo", help="add fake demo cases and conversations (never real data)")
    export = commands.add_parser("export-facts", help="write the published facts book (facts.yml form)")
    export.add_argument("--output", help="file to write (default: standard output)")
    imported = commands.add_parser("import-facts", help="send the changed facts of a file for review")
    imported.add_argument("file")
    imported.add_argument("--author", default=CLI_ACTOR, help="who the new versions are attributed to")
    return parser


def run(
    argv: Optional[List[str]] = None, settings: Optional[Settings] = None, stdin: TextIO = sys.stdin
) -> int:
    """Runs one command; returns the exit status."""
    args = _parser().parse_args(argv)
    settings = settings or get_settings()
    url = settings.escalation_url
    users = StaffUserStore(url)
    audit = AuditLog(url)
    try:
        if args.command == "create-user":
            user = users.create(args.username, read_password(args.password_stdin, stdin), args.role)
            audit.record(CLI_ACTOR, "user.create", f"user:{user.username}", f"role={user.role}")
            print(f"created {user.role} {user.username}")
        elif args.command == "set-password":
            users.set_password(args.username, read_password(args.password_stdin, stdin))
            changed = users.get(args.username)
            assert changed is not None
            SessionStore(url).end_all(changed.id)
            audit.record(CLI_ACTOR, "user.set_password", f"user:{changed.username}")
            print(f"password changed for {changed.username}; their sessions were ended")
        elif args.command in ("disable-user", "enable-user"):
            disabled = args.command == "disable-user"
            users.set_disabled(args.username, disabled)
            account = users.get(args.username)
            assert account is not None
            if disabled:
                SessionStore(url).end_all(account.id)
            audit.record(CLI_ACTOR, "user.disable" if disabled else "user.enable", f"user:{account.username}")
            print(f"{'disabled' if disabled else 'enabled'} {account.username}")
        elif args.command == "list-users":
            second_factor = SecondFactorStore(url)
            for user in users.list():
                state = " (disabled)" if user.disabled else ""
                mfa = "totp" if second_factor.is_enrolled(user.id) else "not enrolled"
                print(f"{user.username}\t{user.role}{state}\t{mfa}")
        elif args.command == "reset-mfa":
            account = users.get(args.username)
            if account is None:
                raise UnknownUser(args.username)
            had = SecondFactorStore(url).reset(account.id)
            ended = SessionStore(url).end_all(account.id)
            audit.record(CLI_ACTOR, "mfa.reset", f"user:{account.username}", f"had_key={had} sessions={ended}")
            print(f"second factor removed for {account.username}; they enrol again at the next sign-in")
        elif args.command == "create-token":
            created, secret = ApiTokenStore(url).create(args.name, args.scope, args.days)
            scopes = " ".join(sorted(created.scopes))
            audit.record(
                CLI_ACTOR, "token.create", f"token:{created.name}", f"scopes={scopes} expires={created.expires_at:%Y-%m-%d}"
            )
            print(f"created token {created.name} ({scopes}), expires {created.expires_at:%Y-%m-%d}.")
            print("Copy it now, it is not shown again:")
            print(secret)
        elif args.command == "list-tokens":
            now = utcnow()
            for item in ApiTokenStore(url).list():
                used = f"{item.last_used_at:%Y-%m-%d %H:%M}" if item.last_used_at else "never"
                print(
                    f"{item.name}\t{' '.join(sorted(item.scopes))}\t{item.state(now)}\t"
                    f"expires {item.expires_at:%Y-%m-%d}\tlast used {used}"
                )
        elif args.command == "revoke-token":
            revoked = ApiTokenStore(url).revoke(args.name)
            audit.record(CLI_ACTOR, "token.revoke", f"token:{revoked.name}")
            print(f"revoked token {revoked.name}")
        elif args.command == "purge":
            days = settings.retention_days if args.days is None else args.days
            result = purge(settings, days, actor=CLI_ACTOR)
            print(
                f"deleted {result.conversations} conversations and {result.escalations} escalations "
                f"inactive since {result.cutoff.isoformat()}"
            )
        elif args.command == "seed-demo":
            from staff.seed import seed_demo

            ids = seed_demo(settings)
            audit.record(CLI_ACTOR, "seed.demo", detail=f"cases={len(ids)}")
            print(f"added {len(ids)} fake demo cases")
        elif args.command == "export-facts":
            text = FactVersionStore(url, default_facts_path(settings)).export_yaml()
            if args.output:
                with open(args.output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            else:
                sys.stdout.write(text)
            audit.record(CLI_ACTOR, "facts.export")
        elif args.command == "import-facts":
            store = FactVersionStore(url, default_facts_path(settings))
            sent = store.import_data(read_facts_data(args.file), args.author, display_path(args.file))
            for version in sent:
                audit.record(CLI_ACTOR, "fact.submit", f"fact:{version.fact_id}", f"version={version.number} import")
            print(f"{len(sent)} facts sent for review" + "".join(f"\n  {v.fact_id} version {v.number}" for v in sent))
    except (ValueError, UserExists, UnknownUser, UnknownToken) as exc:
        message = f"user already exists: {exc}" if isinstance(exc, UserExists) else str(exc)
        if isinstance(exc, UnknownUser):
            message = f"no such user: {exc}"
        elif isinstance(exc, TokenExists):
            message = f"a token with this name exists: {exc}"
        elif isinstance(exc, UnknownToken):
            message = f"no such token: {exc}"
        print(f"error: {message}", file=sys.stderr)
        return 2
    return 0


def main() -> None:
    """Entry point of `python -m staff.manage`."""
    sys.exit(run())


if __name__ == "__main__":
    main()
