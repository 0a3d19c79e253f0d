"""Rasa's Redis lock store with each ticket change made atomically in Redis.

Rasa 3.6's `RedisLockStore` changes a conversation's ticket lock by GET, change in Python,
SET. Two servers taking a ticket for the same conversation at the same moment can both get
the same number and handle two messages at once; the later save of the conversation then
drops the other message's events (tests/test_scale_out.py caught two lost user messages out
of ten this way; the fix in Rasa is Rasa Pro's ConcurrentRedisLockStore). Here every change
runs in a Redis WATCH/MULTI transaction, retried when another server changed the lock first.

Waiting: in Rasa a ticket's lifetime (TICKET_LOCK_LIFETIME) runs while it waits, too. When a
server dies holding the lock, the next waiter's ticket, taken a moment later, expires in the
same second as the dead one's; the waiter then never sees its own number served and waits
forever (our kill test hung this way). Here a waiting ticket is renewed at every poll, so the
lifetime bounds the handling of a message, not the queue before it.
Configured in endpoints.production.yml as `type: serving.lock_store.AtomicRedisLockStore`.
"""

import asyncio
import json
import time
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

LockChange = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]


class AtomicRedisLockStore(RedisLockStore):
    """A `RedisLockStore` whose ticket changes cannot overwrite each other."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        # Rasa builds custom lock stores from the endpoint config alone.
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: Text, change: LockChange) -> Any:
        """Applies `change` to the stored lock atomically; no lock left means the key goes."""
        key = self.key_prefix + conversation_id
        outcome = {}

        def apply(pipe: Any) -> None:
            stored = pipe.get(key)  # watched: the transaction fails if anyone writes it
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            new_lock, outcome["value"] = change(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())

        self.red.transaction(apply, key)
        return outcome["value"]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take_ticket(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, take_ticket)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}")

    async def _acquire_lock(
        self, conversation_id: Text, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        def renew_mine(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool]:
            if lock is None:
                return None, False
            mine = next((t for t in lock.tickets if t.number == ticket), None)
            if mine is not None:
                mine.expires = time.time() + LOCK_LIFETIME
            lock.remove_expired_tickets()
            return lock, mine is not None

        while True:
            if not self._change(conversation_id, renew_mine):
                break  # our ticket is gone: fail now rather than wait forever
            lock = self.get_lock(conversation_id)
            if lock is not None and not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            # Deleted only when nobody waits, decided in the same transaction.
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)
