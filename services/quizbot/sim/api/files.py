"""Files in the simulated Telegram: documents the bot uploads and users send.

Telegram keeps every file it receives and names it by a ``file_id``; a bot
asks ``getFile`` for a ``file_path`` and downloads the bytes from
``/file/bot<token>/<file_path>``. The simulator does the same with the
bytes in memory: a multipart upload of the bot's (``sendDocument``) and a
scripted user's document (:func:`quizbot.sim.api.actions.send_document`)
land here, and both can be fetched back, by the bot or by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quizbot.sim.api import protocol

# Telegram's own limits: a bot downloads at most 20 MB through getFile and
# uploads at most 50 MB with multipart.
DOWNLOAD_MAX = 20 * 1024 * 1024
UPLOAD_MAX = 50 * 1024 * 1024
INVALID_FILE_ID = "Bad Request: invalid file_id"
TOO_BIG = "Bad Request: file is too big"


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One file Telegram holds: its identity, its path for downloads, its bytes."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


class FilePart:
    """A multipart file as it arrived: its name, type and bytes.

    Not a dataclass on purpose: the journal of calls keeps it among the
    parameters, and :meth:`json` (what ``/sim/calls`` shows) leaves the
    bytes out.
    """

    __slots__ = ("content_type", "data", "filename")

    def __init__(self, filename: str, content_type: str, data: bytes) -> None:
        self.filename = filename
        self.content_type = content_type
        self.data = data

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return len(self.data)

    def json(self) -> dict[str, Any]:
        """What the journal shows of the file: metadata, not the bytes."""
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


def encode(value: Any) -> Any:
    """``orjson``'s ``default`` for simulator answers: a :class:`FilePart` as its metadata."""
    if isinstance(value, FilePart):
        return value.json()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class Files:
    """Every file of the simulated Telegram, by file_id and by path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._seq = 0

    def reset(self) -> None:
        """Forget every file."""
        self.by_id.clear()
        self.by_path.clear()

    def add(self, data: bytes, file_name: str, mime_type: str) -> dict[str, Any]:
        """Keep ``data``; return the Document object a message carries."""
        if len(data) > UPLOAD_MAX:
            raise protocol.ApiError(400, TOO_BIG)
        self._seq += 1
        unique = f"AgAD{self._seq:08d}"
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{self._seq:08d}",
            file_unique_id=unique,
            file_path=f"documents/file_{self._seq}.{suffix}",
            data=data,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }

    def get(self, file_id: str) -> dict[str, Any]:
        """getFile: the File object (with its ``file_path``) for ``file_id``."""
        stored = self.by_id.get(file_id)
        if stored is None:
            raise protocol.ApiError(400, INVALID_FILE_ID)
        if len(stored.data) > DOWNLOAD_MAX:
            raise protocol.ApiError(400, TOO_BIG)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def document(self, file_id: str) -> dict[str, Any]:
        """A document sent again by its ``file_id`` (Telegram reuses the stored file)."""
        stored = self.by_id.get(file_id)
        if stored is None:
            raise protocol.ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
