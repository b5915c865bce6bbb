"""Cut a byte stream from a P1 port into telegrams.

Serial lines and TCP dongles deliver telegrams in arbitrary pieces, sometimes with noise between
them (a dongle's boot banner, a half telegram after a reconnect). The framer keeps what may still
become a telegram and hands out complete ``/...!CRC`` texts; what can never become one is dropped
and counted.
"""

from __future__ import annotations

# A DSMR telegram is at most a few kB; anything longer without an end is noise.
MAX_TELEGRAM_BYTES = 16 * 1024
# The CRC line: '!' then up to four hex digits, then CR LF (or a bare LF from some dongles).
_CRC_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_CRC_MAX_DIGITS = 4
_CR = 0x0D
_LF = 0x0A


class TelegramFramer:
    """Incremental telegram framer: feed bytes, get complete telegram texts."""

    def __init__(self) -> None:
        """Start with an empty buffer."""
        self._buffer = bytearray()
        self.dropped = 0  # fragments of noise or broken telegrams thrown away

    def feed(self, data: bytes) -> list[str]:
        """Add received bytes; return the telegrams they completed, oldest first."""
        self._buffer += data
        telegrams: list[str] = []
        while True:
            start = self._buffer.find(b"/")
            if start < 0:
                if self._buffer.strip(b"\r\n\0 "):
                    self.dropped += 1
                self._buffer.clear()
                return telegrams
            if start > 0:
                if self._buffer[:start].strip(b"\r\n\0 "):
                    self.dropped += 1
                del self._buffer[:start]
            end = self._find_end()
            if end is None:
                if len(self._buffer) > MAX_TELEGRAM_BYTES:
                    self.dropped += 1
                    del self._buffer[:1]  # resynchronise at the next '/'
                    continue
                return telegrams
            if end < 0:
                # A new telegram started before this one ended: the first is broken.
                self.dropped += 1
                del self._buffer[:-end]
                continue
            frame = bytes(self._buffer[:end])
            del self._buffer[:end]
            try:
                telegrams.append(frame.decode("ascii"))
            except UnicodeDecodeError:
                self.dropped += 1

    def _find_end(self) -> int | None:
        """Where the telegram at the buffer's start ends.

        Returns the length of a complete telegram, None if more bytes are needed, or minus the
        position of a second ``/`` that starts a new telegram before this one ended.
        """
        bang = self._buffer.find(b"!", 1)
        restart = self._buffer.find(b"/", 1)
        # '/' appears inside telegrams only on the identification line (e.g. "/ISK5\2M550T").
        body_start = self._buffer.find(b"\n")
        if (
            restart > 0
            and body_start >= 0
            and restart > body_start
            and (bang < 0 or restart < bang)
        ):
            return -restart
        if bang < 0:
            return None
        # DSMR: '!', at most four hex digits (none in DSMR 2.2), then CR LF. The first other
        # byte ends the telegram and stays in the buffer: a telegram cut short in its CRC must
        # not take the next telegram's header with it.
        position = bang + 1
        limit = min(len(self._buffer), position + _CRC_MAX_DIGITS)
        while position < limit and self._buffer[position] in _CRC_DIGITS:
            position += 1
        if position == len(self._buffer):
            return None  # more digits or the line end may follow
        if self._buffer[position] == _LF:
            return position + 1
        if self._buffer[position] == _CR:
            if position + 1 == len(self._buffer):
                return None
            return position + 2 if self._buffer[position + 1] == _LF else position + 1
        return position
