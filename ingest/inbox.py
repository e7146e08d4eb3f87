"""The drop folder: <inbox>/<feed>/<YYYYMMDD>[_<n>].<csv|xlsx|jsonl>.

Nothing outside the inbox is ever read (feeds.md, "What bad input gets"). A delivery must be a
regular file directly in a real feed folder: a symlink (even to a file inside the inbox), a
FIFO, a device, a directory, or a linked feed folder is never opened; it becomes an unsafe
delivery, recorded as a rejected batch `unsafe_path`. The inbox folder itself is the
operator's setting and may be a link.

The check and the read are one act: `pinned` opens the file once, relative to the feed folder
opened without following links, with O_NOFOLLOW (and O_NONBLOCK, so a FIFO swapped in cannot
hang the night), checks the open file is regular, and hands the loader a path to that open
file. A file swapped for a link after discovery is refused; one swapped after the open is not
read at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.feeds.contracts import FEED_NAMES

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:_(\d+))?\.(csv|xlsx|jsonl)$", re.IGNORECASE)
UNSAFE_PATH = "unsafe_path"
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# Reopening /proc/self/fd/N reaches the very file an fd holds, whatever its name now names.
_PROC_FD = Path("/proc/self/fd")


@dataclass(frozen=True)
class Delivery:
    feed: str
    path: Path
    delivered_on: date
    seq: int
    fmt: str
    # Why this path is not a regular file inside the inbox (None: it looked like one).
    unsafe: str | None = None

    @property
    def file_name(self) -> str:
        if self.path.name == self.feed and self.unsafe == "linked feed folder":
            return f"{self.feed}/"
        return f"{self.feed}/{self.path.name}"


class UnsafePath(Exception):
    """The delivery is not a regular file inside the inbox: it is never opened."""

    reason = UNSAFE_PATH

    def __init__(self, delivery: Delivery, kind: str, identity: str):
        super().__init__(f"{delivery.file_name}: {kind}")
        self.kind = kind
        # Stands in for the content hash (which would need reading): the same unsafe entry is
        # recorded once, a new one again.
        self.fingerprint = hashlib.sha256(f"{UNSAFE_PATH}:{kind}:{identity}".encode()).hexdigest()
        self.detail = (
            f"{UNSAFE_PATH}: {kind}; 该文件不是收件箱内的普通文件，未被读取。"
            "请将数据文件本身（而非链接或特殊文件）放入收件箱重新报送。"
        )


def parse_name(feed: str, path: Path) -> Delivery | None:
    m = _NAME.match(path.name)
    if not m:
        return None
    try:
        delivered = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return Delivery(feed, path, delivered, int(m[4] or 0), m[5].lower())


def _kind(mode: int) -> str | None:
    """What a non-regular entry is, in the words of the rejection (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _today() -> date:
    # Only for a linked feed folder, which has no delivery date of its own.
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def discover(
    inbox: Path, feeds: list[str] | None = None, until: date | None = None
) -> list[Delivery]:
    """Every delivery in the inbox, oldest first (by delivery date, then `_<n>`); with
    `until`, only those delivered on or before that date. Nothing is opened or followed: an
    entry that is not a regular file comes back with `unsafe` set."""
    found = []
    root = Path(inbox)
    for feed in feeds or FEED_NAMES:
        folder = root / feed
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            log.error("%s is a link: its files are never read (unsafe_path)", folder)
            found.append(Delivery(feed, folder, until or _today(), 0, "", "linked feed folder"))
            continue
        if not stat.S_ISDIR(mode):
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                delivery = parse_name(feed, Path(entry.path))
                kind = _kind(entry.stat(follow_symlinks=False).st_mode)
                if delivery is None:
                    if kind != "directory":
                        log.warning(
                            "ignoring %s: not named <YYYYMMDD>[_<n>].<csv|xlsx|jsonl>", entry.path
                        )
                    continue
                if kind is not None:
                    log.error("%s is a %s: never opened (unsafe_path)", entry.path, kind)
                    delivery = replace(delivery, unsafe=kind)
                if until is None or delivery.delivered_on <= until:
                    found.append(delivery)
    return sorted(found, key=lambda d: (d.delivered_on, d.seq, d.feed, d.path.name))


def _identity(path: Path) -> str:
    try:
        st = os.lstat(path)
    except OSError:
        return "gone"
    return f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


@contextmanager
def pinned(delivery: Delivery) -> Iterator[Delivery]:
    """The delivery, its `path` now naming the file opened once and safely; UnsafePath (before
    anything is read) when it is not a regular file directly in a real feed folder."""
    if delivery.unsafe:
        raise UnsafePath(delivery, delivery.unsafe, _identity(delivery.path))
    folder = delivery.path.parent
    try:
        root_fd = os.open(folder.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise UnsafePath(delivery, f"inbox unreadable ({exc.strerror})", "") from None
    try:
        folder_fd = os.open(folder.name, _DIR_FLAGS, dir_fd=root_fd)
    except OSError:
        raise UnsafePath(delivery, "linked feed folder", _identity(folder)) from None
    finally:
        os.close(root_fd)
    try:
        fd = os.open(delivery.path.name, _OPEN_FLAGS, dir_fd=folder_fd)
    except OSError as exc:  # ELOOP: a symlink swapped in after discovery
        raise UnsafePath(delivery, _kind_after(exc), _identity(delivery.path)) from None
    finally:
        os.close(folder_fd)
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None:
            raise UnsafePath(delivery, kind, f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}")
        if not _PROC_FD.is_dir():  # not Linux: the checked path, read again by name
            log.warning("no /proc/self/fd: %s is read by name after the check", delivery.path)
            yield delivery
            return
        # A private folder holds one link, named as the delivery (readers go by the name's
        # extension), to the open file; the loader reads only through it.
        private = Path(tempfile.mkdtemp(prefix="projledger-delivery-"))
        try:
            link = private / delivery.path.name
            link.symlink_to(_PROC_FD / str(fd))
            yield replace(delivery, path=link)
        finally:
            shutil.rmtree(private, ignore_errors=True)
    finally:
        os.close(fd)


def _kind_after(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symbolic link"
    return f"not openable ({exc.strerror})"
