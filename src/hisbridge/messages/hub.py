"""Live fan-out of newly stored messages to the open streams of this process.

Any node may have polled a message (the lease decides which), so the hub watches the store,
not the local poller: one task per process reads the messages after the last ``seq`` it saw
every ``check_s`` seconds and hands each to the subscribers it concerns. The task runs only
while someone listens. A slow subscriber's queue is bounded; when full it is emptied and told
to resync (reload from the store), cheaper than holding thousands of messages per stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hisbridge.messages.store import MessageStore, public_message

__all__ = ["MessageHub", "Subscription"]

log = logging.getLogger("hisbridge.messages.hub")

RESYNC: dict[str, Any] = {"resync": True}


@dataclass(eq=False)
class Subscription:
    """One open stream: which messages it wants and its queue of public messages."""

    wants: Callable[[Any], bool]
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(256))
    overflowed: bool = False
    """Set when the queue ran full: it then holds only ``RESYNC`` until the reader takes it."""

    def offer(self, row: Any) -> None:
        if self.overflowed or not self.wants(row):
            return
        try:
            self.queue.put_nowait(public_message(row))
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

    async def subscribe(self, wants: Callable[[Any], bool]) -> Subscription:
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
                rows = await asyncio.to_thread(self._store.after, self._last_seq)
            except Exception:  # the store may be briefly unreachable; streams stay open
                log.warning("message hub could not read the store", exc_info=True)
                rows = []
            for row in rows:
                self._last_seq = max(self._last_seq, row.seq)
                for sub in list(self._subs):
                    sub.offer(row)
            await asyncio.sleep(self._check_s)
