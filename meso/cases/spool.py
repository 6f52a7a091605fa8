"""A local spool that keeps escalations while the escalation database is down.

Each write the store refused becomes one JSON file, written atomically (temp file, fsync,
rename), named so that file order is arrival order. `drain` replays them in order once the
database is back and deletes each file only after its write has committed. Every spooled
write carries a unique id that the store keeps as an idempotency key, so a crash between
the commit and the delete replays nothing twice.

Over 300 lines on purpose: the spool file format, the atomic write and the in-order replay must agree and are kept together.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional

from meso.cases.escalations import (
    Contact,
    Escalation,
    EscalationStore,
    EscalationUnavailable,
    check_conversation_id,
    validate_codes,
)
from meso.clock import utcnow

logger = logging.getLogger(__name__)

SPOOL_VERSION = 1
RECORD = "record"
CONTACT = "contact"
KINDS = (RECORD, CONTACT)
SUFFIX = ".json"
REJECTED_SUFFIX = ".rejected"
_LOCK_FILE = ".drain.lock"
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _contact(value: Optional[Mapping[str, Any]]) -> Optional[Contact]:
    return None if value is None else Contact(**value)


class Spool:
    """Spooled escalation writes in one directory (data_dir/spool).

    Files hold health information and phone numbers: they are created 0600 in a 0700
    directory and deleted as soon as the database has them.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._thread_lock = threading.Lock()

    def put(self, record_kwargs: Mapping[str, Any], kind: str = RECORD, key: Optional[str] = None) -> Path:
        """Writes one spooled write atomically and durably.

        Args:
            record_kwargs: Keyword arguments of `EscalationStore.record` (kind "record")
                or `attach_contact` (kind "contact"); a Contact is stored as a dict.
            kind: "record" or "contact".
            key: The write's idempotency key (letters, digits, "-" and "_"); a fresh one
                when None. A write recorded under this key elsewhere is not replayed twice.

        Returns:
            The spool file.

        Raises:
            OSError: The spool cannot be written either.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown spool kind {kind!r}")
        data = dict(record_kwargs)
        if isinstance(data.get("contact"), Contact):
            data["contact"] = asdict(data["contact"])
        if "reasons" in data:
            data["reasons"] = list(data["reasons"])
        if key is not None and not _KEY_PATTERN.match(key):
            raise ValueError("spool keys are 1-64 letters, digits, '-' or '_'")
        spool_id = key or uuid.uuid4().hex
        entry = {
            "version": SPOOL_VERSION,
            "id": spool_id,
            "kind": kind,
            "at": utcnow().isoformat(),
            "data": data,
        }
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / f"{time.time_ns():020d}-{spool_id}{SUFFIX}"
        temporary = self.directory / f".{path.name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(entry, sort_keys=True).encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_directory(self.directory)
        logger.warning("escalation database unavailable: spooled %s %s", kind, path.name)
        return path

    def files(self) -> List[Path]:
        """Spooled writes waiting, oldest first."""
        try:
            names = sorted(entry.name for entry in os.scandir(self.directory) if entry.name.endswith(SUFFIX))
        except (FileNotFoundError, NotADirectoryError):
            return []  # nothing was ever spooled there
        return [self.directory / name for name in names if not name.startswith(".")]

    def pending(self) -> int:
        """How many spooled writes wait for the database (0 means nothing at risk)."""
        return len(self.files())

    def rejected(self) -> int:
        """How many spool files could not be replayed and need a person to look."""
        try:
            return sum(1 for entry in os.scandir(self.directory) if entry.name.endswith(REJECTED_SUFFIX))
        except (FileNotFoundError, NotADirectoryError):
            return 0

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One drain at a time, across threads and processes sharing the directory."""
        with self._thread_lock:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            with open(self.directory / _LOCK_FILE, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def drain(self, store: EscalationStore) -> int:
        """Replays spooled writes into `store` in order, deleting each after its commit.

        Stops at the first EscalationUnavailable (the rest stay spooled). A file that
        cannot be read or is refused as invalid is renamed `*.rejected` and logged.

        Returns:
            How many spooled writes were replayed.
        """
        if not self.files():
            return 0
        replayed = 0
        seen: set = set()
        with self._exclusive():
            while True:
                batch = [path for path in self.files() if path not in seen]
                if not batch:
                    return replayed
                for path in batch:
                    seen.add(path)
                    try:
                        self._replay(store, path)
                    except EscalationUnavailable:
                        return replayed
                    except FileNotFoundError:
                        continue  # replayed by another drain just now
                    except (OSError, ValueError, TypeError, KeyError) as exc:
                        self._reject(path, exc)
                        continue
                    path.unlink(missing_ok=True)
                    replayed += 1
                logger.info("spool: replayed %d escalation writes", replayed)

    @staticmethod
    def _replay(store: EscalationStore, path: Path) -> Optional[Escalation]:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("version") != SPOOL_VERSION or entry.get("kind") not in KINDS:
            raise ValueError("unknown spool format")
        data: Dict[str, Any] = dict(entry["data"])
        key = str(entry["id"])
        at = datetime.fromisoformat(entry["at"])
        if entry["kind"] == RECORD:
            data["contact"] = _contact(data.get("contact"))
            return store.record(**data, key=key, at=at)
        contact = _contact(data["contact"])
        if contact is None:
            raise ValueError("spooled contact without details")
        escalation = store.attach_contact(data["conversation_id"], contact, key=key, at=at)
        if escalation is None:
            logger.warning("spool: contact details in %s matched no open case; dropped", path.name)
        return escalation

    def _reject(self, path: Path, exc: BaseException) -> None:
        logger.error(
            "spool: cannot replay %s (%s); kept as %s", path.name, type(exc).__name__, REJECTED_SUFFIX
        )
        try:
            path.rename(path.with_name(path.name + REJECTED_SUFFIX))
        except OSError:
            logger.exception("spool: cannot set aside %s", path.name)


@dataclass(frozen=True)
class RecordOutcome:
    """What happened to an escalation: committed, spooled, or (disk failing too) neither."""

    escalation: Optional[Escalation] = None
    spool_path: Optional[Path] = None

    @property
    def stored(self) -> bool:
        """True only when the database committed the case (staff can see it now)."""
        return self.escalation is not None

    @property
    def spooled(self) -> bool:
        """True when the case waits in the local spool for the database to return."""
        return self.spool_path is not None


class ResilientEscalations:
    """The escalation store, falling back to the spool while the database is down.

    Args:
        store: The escalation store.
        spool: The local spool.
    """

    def __init__(self, store: EscalationStore, spool: Spool) -> None:
        self.store = store
        self.spool = spool
        self._drainer_stops: List[threading.Event] = []

    def record(
        self,
        conversation_id: str,
        channel: str,
        urgency: str,
        reasons: Iterable[str],
        message: str,
        contact: Optional[Contact] = None,
        key: Optional[str] = None,
        language: Optional[str] = None,
    ) -> RecordOutcome:
        """Records the escalation, or spools it when the database is unavailable.

        Earlier spooled writes are replayed first, so cases keep their order. With a
        `key` (one per patient message), recording the same message again, here or in
        another process, changes nothing.

        Raises:
            ValueError: Unknown urgency or reason codes, or a bad conversation id (never spooled).
        """
        kwargs: Dict[str, Any] = {
            "conversation_id": check_conversation_id(conversation_id),
            "channel": channel,
            "urgency": urgency,
            "reasons": list(validate_codes(urgency, reasons)),
            "message": message,
            "contact": contact,
        }
        if language:
            kwargs["language"] = language  # the conversation's language, for staff
        if self._backlog_remains():
            return RecordOutcome(spool_path=self._spool(kwargs, RECORD, key))
        try:
            return RecordOutcome(escalation=self.store.record(**kwargs, key=key))
        except EscalationUnavailable:
            return RecordOutcome(spool_path=self._spool(kwargs, RECORD, key))

    def attach_contact(self, conversation_id: str, contact: Contact) -> Optional[Escalation]:
        """Adds call-back details to the open case; spools them if the database is down.

        Returns:
            The updated case, or None when it is not stored now (no open case, or spooled).
        """
        kwargs = {"conversation_id": conversation_id, "contact": contact}
        if self._backlog_remains():
            self._spool(kwargs, CONTACT)
            return None
        try:
            return self.store.attach_contact(conversation_id, contact)
        except EscalationUnavailable:
            self._spool(kwargs, CONTACT)
            return None

    def pending(self) -> int:
        """Spooled writes not yet in the database."""
        return self.spool.pending()

    def drain(self) -> int:
        """Replays the spool into the store; returns how many writes were replayed."""
        return self.spool.drain(self.store)

    def start_drainer(self, interval: float = 30.0) -> threading.Event:
        """Starts a daemon thread draining the spool every `interval` seconds.

        Returns:
            An event; set it to stop the thread.
        """
        stop = threading.Event()
        self._drainer_stops.append(stop)

        def loop() -> None:
            while not stop.wait(interval):
                self._backlog_remains()

        threading.Thread(target=loop, name="escalation-spool-drainer", daemon=True).start()
        return stop

    def stop_drainers(self) -> None:
        """Stops every drainer thread this object started."""
        for stop in self._drainer_stops:
            stop.set()
        self._drainer_stops.clear()

    def _backlog_remains(self) -> bool:
        """Drains any backlog; True when spooled writes are still waiting afterwards."""
        try:
            if not self.spool.pending():
                return False
            self.drain()
            return self.spool.pending() > 0
        except Exception:  # noqa: BLE001 - a failed drain must not fail the patient's turn
            logger.exception("spool: drain failed")
            return False

    def _spool(self, kwargs: Mapping[str, Any], kind: str, key: Optional[str] = None) -> Optional[Path]:
        try:
            return self.spool.put(kwargs, kind, key)
        except OSError:
            logger.exception("escalation lost: database and spool both unavailable")
            return None
