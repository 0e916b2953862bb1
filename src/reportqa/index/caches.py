"""The index's process-global caches, all of them, in one place.

An ingesting process adds report after report and a server opens one index for hours, so some work is kept
per process instead of being redone on every add or query. Every cache is keyed by where the thing lives (a
Chroma server's URL or directory, a file's absolute path, an index directory), so two indexes in one
process never share an entry, and each is small:

- `CLIENTS` (with `FAILED` and `CLIENTS_LOCK`): one Chroma client per server or directory
  (`chroma.chroma_client`); building one reads the environment through pydantic-settings (5-10 ms) and a
  server's client makes a round trip more. `FAILED` remembers, per server, when and why a client could not
  be made, so callers queued behind a timeout do not each wait again.
- `COLLECTIONS`: Chroma collections by (where, name) (`chroma.collection`); an add does not ask a server
  for its collection again while the listing shows it under the same id.
- `PARSED`: the manifests read or written last, by file, with the file's size and mtime (`parsed`); a 600 KB
  build manifest at 1,000 reports is not parsed again on the next add. At most `PARSED_MAX` entries.
- `LOCKS`: the ingest lock this process holds, by index directory, with its depth (`build.ingest_lock`,
  re-entrant within the process).

Two pure functions are memoised where they are defined, on their arguments alone: `keys.segment_key` and
`keys.report_record`'s dump of a frozen Report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from reportqa.errors import StoreUnavailable

T = TypeVar("T")

CLIENTS: dict[str, Any] = {}
FAILED: dict[str, tuple[float, StoreUnavailable]] = {}  # where -> when a client could not be made, and why
CLIENTS_LOCK = threading.Lock()

COLLECTIONS: dict[tuple[str, str], Any] = {}

# What `parsed` read last, by file: (size, mtime_ns, value). The manifests an ingesting process read or wrote
# are not parsed again on its next add (600 KB at 1,000 reports). Values are read-only for callers.
PARSED: dict[str, tuple[int, int, Any]] = {}
PARSED_MAX = 4  # the build manifests of the last adds and the corpus manifest

LOCKS: dict[str, list[int]] = {}  # index directory -> [descriptor, depth] of the lock this process holds


def parsed(path: Path, parse: Callable[[bytes], T], fresh: bool = False) -> T:
    """`parse(path's bytes)`, kept with the file's size and mtime and given again until they change;
    `fresh`: parse even so (the caller has just written the file). Raises OSError from reading."""
    st = path.stat()
    key = str(path.absolute())
    hit = PARSED.get(key)
    if not fresh and hit is not None and hit[:2] == (st.st_size, st.st_mtime_ns):
        value: T = hit[2]
        return value
    value = parse(path.read_bytes())
    PARSED.pop(key, None)
    while len(PARSED) >= PARSED_MAX:
        PARSED.pop(next(iter(PARSED)))
    PARSED[key] = (st.st_size, st.st_mtime_ns, value)
    return value
