"""Fixes to four hot spots of Rasa 3.6 found by profiling a running server (py-spy).

- Every reply of the action server is checked with `jsonschema.validate`, which
  first checks the schema itself against the draft 2020-12 meta-schema: about
  100 ms of CPU per action call. The schema is a constant, so it is compiled
  once and the same check runs in well under a millisecond.
- Every stored event is turned back into its class by scanning all subclasses of
  `Event`, recursively, for each event of each tracker loaded: a name-to-class
  table built once gives the same class.

- Every call to the action server opens a new HTTP session and TCP connection.
  Each endpoint now keeps one session per event loop (each Sanic worker has its
  own), whose idle connections are dropped after 2 s: before the action server
  (Sanic, 5 s keep-alive) closes them, so a call never lands on a closed one.

- A full garbage collection scans the ~560,000 objects loaded at start
  (TensorFlow, spaCy, the model): about 0.3 s during which a worker answers
  nobody, the slowest turns under load. Once a model is loaded they are frozen
  (`gc.freeze`): collections then scan only what turns create.

All keep Rasa's behaviour (same schema, same errors, same class chosen, same
headers, auth and timeout); only the repeated work goes. `install()` is idempotent.
"""

from __future__ import annotations

import asyncio
import gc
from functools import lru_cache
from typing import Any, Dict, Optional, Type

import aiohttp
import rasa.shared.utils.common
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig

_MARK = "_meso_fast"
_SESSION = "_meso_session"  # (event loop, session) kept on each EndpointConfig
IDLE_CONNECTION_SECONDS = 2.0  # below Sanic's default keep-alive timeout (5 s)


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the schema compiled once."""
    try:
        _action_response_validator().validate(result)
    except ValidationError as exc:
        exc.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


@lru_cache(maxsize=1)
def _event_classes() -> Dict[str, Type[Event]]:
    """type_name -> class, the first match in Rasa's own search order."""
    classes: Dict[str, Type[Event]] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """`Event.resolve_by_type` from a table; unknown names go to Rasa's own lookup."""
    found = _event_classes().get(type_name)
    return found if found is not None else _ORIGINAL_RESOLVE(type_name, default)


_ORIGINAL_RESOLVE = Event.resolve_by_type


class _KeptSession:
    """`async with` lending a session that stays open, where Rasa opens and closes one."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *_: Any) -> None:
        return None


def _session(self: EndpointConfig) -> _KeptSession:
    """`EndpointConfig.session` with the session (and its connections) kept per event loop."""
    loop = asyncio.get_running_loop()
    kept = getattr(self, _SESSION, None)
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = (
            aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth
            else None
        )
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
        )
        kept = (loop, session)
        setattr(self, _SESSION, kept)
    return _KeptSession(kept[1])


def _load_model_then_freeze(self: Agent, *args: Any, **kwargs: Any) -> None:
    """`Agent.load_model`, then the objects loaded so far leave the garbage collector's scans."""
    _ORIGINAL_LOAD_MODEL(self, *args, **kwargs)
    gc.collect()
    gc.freeze()


_ORIGINAL_LOAD_MODEL = Agent.load_model


def install() -> None:
    """Installs the four fixes in this process (the tracker store does, before the model loads)."""
    if getattr(RemoteAction, _MARK, False):
        return
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign,assignment]
    EndpointConfig.session = _session  # type: ignore[method-assign,assignment]
    Agent.load_model = _load_model_then_freeze  # type: ignore[method-assign]
    setattr(RemoteAction, _MARK, True)
