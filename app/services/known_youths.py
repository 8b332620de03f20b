"""Youths known to exist, by the keyed hash of their INE: a cache of one hub process.

A deferred batch matching by INE alone looks each of its youths up by an index probe (1,600 of
them for 2,000 records: after the COPY of the events themselves, the database's biggest piece of
a batch). A youth's id never changes and is never reused; a youth only goes away by an erasure
or the retention purge (youths are merged only with NIR matching, where this cache is not used).
Both take the youth deletion lock exclusively and draw a value of the ``youth_deletions``
sequence before they delete; a batch holds that lock shared from its first statement and reads
the sequence with its look-up (a later statement, so it sees every deletion committed before it
got the lock). When the value moved since the cache was filled, the cache is emptied and the
batch looks all its youths up again. So an id found here belongs to a youth that exists until
the batch ends.

Only youths found in the database are remembered, never ones a batch creates (its transaction
may still roll back); the cache holds at most ``capacity`` youths and starts afresh when full.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class KnownYouths:
    def __init__(self, capacity: int = 200_000):
        self.capacity = capacity
        self.deletions: int | None = None  # the youth_deletions value the ids were found under
        self._ids: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def known(self, ine_hashes: Iterable[bytes]) -> tuple[dict[bytes, int], list[bytes]]:
        """(hash -> id of the youths known, the hashes to look up), assuming no deletion since."""
        get = self._ids.get
        hashes = list(ine_hashes)
        found = {h: youth_id for h in hashes if (youth_id := get(h)) is not None}
        return found, [h for h in hashes if h not in found]

    def still_valid(self, deletions: int) -> bool:
        """Whether the ids stand under this youth_deletions value; if not, they are dropped."""
        if deletions == self.deletions:
            return True
        self._ids.clear()
        self.deletions = deletions
        return False

    def remember(self, ine_hashes: Sequence[bytes], ids: Sequence[int | None]) -> None:
        """Youths found in the database under the current deletions value (None: not found)."""
        if len(self._ids) + len(ine_hashes) > self.capacity:
            self._ids.clear()
        self._ids.update((h, youth_id) for h, youth_id in zip(ine_hashes, ids) if youth_id is not None)
