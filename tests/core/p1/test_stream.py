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
    """A dongle that drops the CRLF after the CRC: the telegram ends at the first other byte."""
    framer = TelegramFramer()
    text = telegram_bytes(V5).rstrip(b"\r\n")
    assert framer.feed(text) == []  # CR LF may still follow
    out = framer.feed(b"xxxxxxx")
    assert out == [text.decode("ascii")]
    assert framer.dropped == 1  # the noise after it, not the telegram


def test_cut_crc_then_next_telegram_keeps_the_next() -> None:
    """Regression: '!' and two CRC digits, then straight the next '/': the next one survives.

    The framer used to look for the line end after '!', which was the end of the next
    telegram's header line, so the broken telegram swallowed the next one's header and the
    next valid telegram was lost.
    """
    framer = TelegramFramer()
    broken = telegram_bytes(V5)
    broken = broken[: broken.index(b"!") + 3]  # "!" and the first two CRC digits
    out = framer.feed(broken + telegram_bytes(V4_2) + telegram_bytes(V5))
    assert out[1:] == [telegram_text(V4_2), telegram_text(V5)]
    assert out[0] == broken.decode("ascii")  # handed on; its CRC check refuses it


def test_cut_crc_then_next_telegram_byte_by_byte() -> None:
    """The same cut, arriving a byte at a time."""
    framer = TelegramFramer()
    broken = telegram_bytes(V5)
    broken = broken[: broken.index(b"!") + 2]
    stream = broken + telegram_bytes(V4_2)
    out: list[str] = []
    for index in range(len(stream)):
        out += framer.feed(stream[index : index + 1])
    assert out == [broken.decode("ascii"), telegram_text(V4_2)]


def test_crc_of_four_digits_then_other_bytes() -> None:
    """After four hex digits only CR LF may follow; anything else ends the telegram."""
    framer = TelegramFramer()
    whole = telegram_bytes(V5)
    four = whole[: whole.index(b"!") + 5]
    assert framer.feed(four + b"E" + telegram_bytes(V4_2)) == [
        four.decode("ascii"),
        telegram_text(V4_2),
    ]
    assert framer.dropped == 1  # the fifth "digit"


def test_bare_lf_and_lone_cr_after_the_crc() -> None:
    """A bare LF ends the telegram; a CR without LF ends it before the next byte."""
    framer = TelegramFramer()
    whole = telegram_bytes(V5)
    crc = whole[: whole.index(b"!") + 5]
    assert framer.feed(crc + b"\n") == [crc.decode("ascii") + "\n"]
    assert framer.feed(crc + b"\r") == []
    assert framer.feed(telegram_bytes(V4_2)) == [crc.decode("ascii") + "\r", telegram_text(V4_2)]
    assert framer.dropped == 0
