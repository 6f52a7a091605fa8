"""A scripted chat widget: one socket.io connection to the real Rasa server."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import aiohttp
import engineio.payload
import socketio

from meso.content.clinic import Clinic
from meso.content.welcome import web_welcome

# python-engineio's client refuses a polling response of more than 16 packets (the
# browser's engine.io-client has no such limit). A scripted widget that sends several
# session requests without polling in between (the fuzzer) gets 5 packets for each:
# the session confirmation and the welcome.
engineio.payload.Payload.max_decode_packets = 1024

# How many messages greet a new session (they do not depend on the clinic's details).
WELCOME_COUNT = len(web_welcome(Clinic(), 1))


class Widget:
    """Connects like the web widget (polling), from source address `ip` on loopback.

    Args:
        url: The Rasa server's base URL.
        origin: The Origin header (one of ALLOWED_ORIGINS, or not).
        ip: Local address to connect from (any 127.x.y.z), so per-IP limits can be told apart.
    """

    def __init__(self, url: str, origin: str, ip: str = "127.0.0.1") -> None:
        self.url, self.origin, self.ip = url, origin, ip
        self.replies: asyncio.Queue[Dict[str, Any]] = asyncio.Queue()
        self.session_id: Optional[str] = None
        self.welcome: List[Dict[str, Any]] = []
        self._http: Optional[aiohttp.ClientSession] = None
        self.client: Optional[socketio.AsyncClient] = None

    async def open(self, claimed: object = None, timeout: float = 20) -> str:
        """Connects and asks for a session (claiming `claimed`); returns the id the server granted.

        A new session's welcome messages are taken off the replies into `welcome`.
        """
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(self.ip, 0)))
        self.client = socketio.AsyncClient(reconnection=False, http_session=self._http)
        confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
        self.client.on("bot_uttered", lambda message: self.replies.put_nowait(message))
        await self.client.connect(
            self.url, headers={"Origin": self.origin}, transports=["polling"], wait_timeout=timeout
        )
        await self.client.emit("session_request", {"session_id": claimed})
        self.session_id = await asyncio.wait_for(confirmed, timeout)
        if self.session_id != claimed:
            self.welcome = [await asyncio.wait_for(self.replies.get(), timeout) for _ in range(WELCOME_COUNT)]
        return self.session_id

    async def emit(self, event: str, data: Any) -> None:
        """Sends any event with any data."""
        assert self.client is not None
        await self.client.emit(event, data)

    async def say(self, message: Any, timeout: float = 60, quiet: float = 0.4, **extra: Any) -> List[Dict[str, Any]]:
        """Sends a user message; returns the replies (the first within `timeout`, then until `quiet` s pass)."""
        await self.emit("user_uttered", {"message": message, **extra})
        replies = [await asyncio.wait_for(self.replies.get(), timeout)]
        while True:
            try:
                replies.append(await asyncio.wait_for(self.replies.get(), quiet))
            except asyncio.TimeoutError:
                return replies

    async def close(self) -> None:
        """Disconnects and closes the HTTP session.

        A polling client's disconnect waits for its pending long poll (up to the ping
        interval); the close packet is sent first, so waiting briefly is enough.
        """
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.disconnect(), 1.5)
            except asyncio.TimeoutError:
                pass
        if self._http is not None:
            await self._http.close()
