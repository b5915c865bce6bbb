"""The framer cuts byte streams into telegrams however they arrive."""

from __future__ import annotations

import random

from open_hem_core.p1.stream import MAX_TELEGRAM_BYTES, TelegramFramer
from tests.core.p1.telegrams import FLUVIUS, V4_2, V5, telegram_bytes, telegram_text


def test_whole_telegrams() -> None:
    """Two telegrams in one read come out as two texts, byte for byte."""
    framer = TelegramFramer()
    assert framer.feed(telegram_bytes(V5) + telegram_bytes(V4_2)) == [
        telegram_text(V5),
        telegram_text(V4_2),
    ]
    assert framer.dropped == 0


def test_split_reads_at_every_size() -> None:
    """Byte-by-byte and random fragments give the same telegrams."""
    stream = telegram_bytes(V5) + telegram_bytes(FLUVIUS) + telegram_bytes(V4_2)
    rng = random.Random(7)
    for size in (1, 2, 3, 7, 64, 500):
        framer = TelegramFramer()
        out: list[str] = []
        position = 0
        while position < len(stream):
            step = rng.randint(1, size)
            out += framer.feed(stream[position : position + step])
            position += step
        assert out == [telegram_text(V5), telegram_text(FLUVIUS), telegram_text(V4_2)], size
        assert framer.dropped == 0


def test_garbage_between_telegrams_is_dropped_and_counted() -> None:
    """Noise before, between and after telegrams never reaches the parser."""
    framer = TelegramFramer()
    out = framer.feed(b"\x00\xffboot banner\r\n" + telegram_bytes(V5) + b"noise!!")
    out += framer.feed(telegram_bytes(V4_2) + b"\xfe\xfe")
    assert out == [telegram_text(V5), telegram_text(V4_2)]
    assert framer.dropped == 3


def test_half_telegram_then_a_new_one() -> None:
    """A telegram cut off by a reconnect is dropped when the next one starts."""
    framer = TelegramFramer()
    half = telegram_bytes(V5)[:300]
    assert framer.feed(half) == []
    assert framer.feed(telegram_bytes(V4_2)) == [telegram_text(V4_2)]
    assert framer.dropped == 1


def test_non_ascii_inside_a_telegram() -> None:
    """A telegram with 8-bit garbage inside is dropped, not decoded wrongly."""
    broken = telegram_bytes(V5).replace(b"0230.0", b"02\xe90.0")
    framer = TelegramFramer()
    assert framer.feed(broken) == []
    assert framer.dropped == 1


def test_endless_noise_is_bounded() -> None:
    """A '/' without an end does not grow the buffer forever."""
    framer = TelegramFramer()
    assert framer.feed(b"/x" + b"a" * (MAX_TELEGRAM_BYTES + 10)) == []
    assert framer.dropped >= 1
    assert framer.feed(telegram_bytes(V5)) == [telegram_text(V5)]


def test_crc_line_without_line_end() -> None:
    """A dongle that drops the CRLF after the CRC still gives the telegram when more follows."""
    framer = TelegramFramer()
    text = telegram_bytes(V5).rstrip(b"\r\n")
    assert framer.feed(text) == []  # the CRC may still be growing
    out = framer.feed(b"xxxxxxx")
    assert out == [text.decode("ascii") + "xxxxxxx"]
