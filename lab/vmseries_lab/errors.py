"""The XML API's error answers, raised by every part of a firewall twin and rendered by xmlapi.py."""

from __future__ import annotations

from typing import Optional, Tuple


class ApiError(Exception):
    """An error response of the XML API: PAN-OS status code (None: the envelope has none) and
    message lines; op command errors carry their lines as CDATA, as PAN-OS writes them."""

    def __init__(self, code: Optional[int], message: str, http_status: int = 200, cdata: bool = False,
                 more: Tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.cdata = cdata
        self.lines = (message, *more)
