"""The processor's largest cache (Linux sysfs), which sizes a landscape's chunks on a CPU."""

from __future__ import annotations

from pathlib import Path

CACHES = Path("/sys/devices/system/cpu/cpu0/cache")
_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _bytes(text: str) -> int | None:
    """sysfs's size ("491520K", "32M", "1024"), in bytes."""
    text = text.strip().upper()
    scale = _UNITS.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in _UNITS else text
    return int(digits) * scale if digits.isdigit() else None


def last_level_cache_bytes(caches: Path = CACHES) -> int | None:
    """The size of the highest-level cache the first core sees, or None where the system
    does not say (macOS, Windows, some containers)."""
    best: tuple[int, int] | None = None
    try:
        for index in caches.glob("index*"):
            level = (index / "level").read_text().strip()
            size = _bytes((index / "size").read_text())
            if level.isdigit() and size:
                if best is None or int(level) > best[0]:
                    best = (int(level), size)
    except OSError:
        return None
    return best[1] if best else None
