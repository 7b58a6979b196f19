"""Live fan-out of newly stored messages to the open streams of this process.

Any node may have polled a message (the lease decides which), so the hub watches the store,
not the local poller: one task per process reads the messages after the last ``seq`` it saw
every ``check_s`` seconds and hands each to the subscribers it concerns. The task runs only
while someone listens. A slow subscriber's queue is bounded; when full it is emptied and told
to resync (reload from the store), cheaper than holding thousands of messages per stream.

The same task watches the poller's health (``status``): when it changes (the front-end went
down, came back, the key is expiring) every stream is told at once, so a recovered connection
shows live within one check rather than at the next heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hisbridge.warnings.store import MessageStore

__all__ = ["MessageHub", "Subscription"]

log = logging.getLogger("hisbridge.warnings.hub")

RESYNC: dict[str, Any] = {"resync": True}


@dataclass(eq=False)
class Subscription:
    """One open stream: which messages it wants and its queue of public messages."""

    wants: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(256))
    overflowed: bool = False
    """Set when the queue ran full: it then holds only ``RESYNC`` until the reader takes it."""

    def offer(self, message: dict[str, Any]) -> None:
        if self.overflowed or not self.wants(message):
            return
        self._put(message)

    def tell(self, status: dict[str, Any]) -> None:
        """Hand the stream a changed poller status (``{"status": ...}``)."""
        if not self.overflowed:
            self._put({"status": status})

    def _put(self, item: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)
            self.overflowed = True


class MessageHub:
    """Subscribers of this process and the one task that feeds them."""

    def __init__(self, store: MessageStore, *, check_s: float) -> None:
        self._store = store
        self._check_s = check_s
        self._subs: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._last_seq = 0
        self.status: Callable[[], dict[str, Any]] | None = None
        self._last_status: tuple[Any, ...] | None = None

    async def subscribe(self, wants: Callable[[dict[str, Any]], bool]) -> Subscription:
        """A new subscription; messages stored from now on reach its queue."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._last_seq = await asyncio.to_thread(self._store.max_seq)
            self._task = asyncio.create_task(self._watch(), name="message-hub")
        sub = Subscription(wants)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    @property
    def listeners(self) -> int:
        return len(self._subs)

    async def _watch(self) -> None:
        while self._subs:
            try:
                found = await asyncio.to_thread(self._store.after, self._last_seq)
                status = await asyncio.to_thread(self.status) if self.status else None
            except Exception:  # the store may be briefly unreachable; streams stay open
                log.warning("message hub could not read the store", exc_info=True)
                found, status = [], None
            for message in found:
                self._last_seq = max(self._last_seq, message["seq"])
                for sub in list(self._subs):
                    sub.offer(message)
            if status is not None:
                self._announce(status)
            await asyncio.sleep(self._check_s)

    def _announce(self, status: dict[str, Any]) -> None:
        """Tell every stream when the status changed in what a reader sees."""
        seen = (status["delayed"], tuple(n["text"] for n in status["notices"]))
        if seen != self._last_status:
            self._last_status = seen
            for sub in list(self._subs):
                sub.tell(status)
