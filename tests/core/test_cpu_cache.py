"""The last-level cache read from sysfs, and the CPU chunk budget made from it."""

from __future__ import annotations

from pathlib import Path

from gradviz.nets.cpu_cache import last_level_cache_bytes
from gradviz.nets.landscape import CPU_CHUNK_RANGE, cpu_chunk_bytes


def _cache(root: Path, index: int, level: str, size: str) -> None:
    folder = root / f"index{index}"
    folder.mkdir(parents=True)
    (folder / "level").write_text(level + "\n")
    (folder / "size").write_text(size + "\n")


def test_the_highest_levels_size_is_read(tmp_path: Path) -> None:
    _cache(tmp_path, 0, "1", "48K")
    _cache(tmp_path, 1, "1", "32K")
    _cache(tmp_path, 2, "2", "2048K")
    _cache(tmp_path, 3, "3", "491520K")
    assert last_level_cache_bytes(tmp_path) == 491520 * 1024
    _cache(tmp_path, 4, "4", "1G")
    assert last_level_cache_bytes(tmp_path) == 1 << 30


def test_an_unreadable_or_odd_sysfs_gives_none(tmp_path: Path) -> None:
    assert last_level_cache_bytes(tmp_path / "missing") is None
    assert last_level_cache_bytes(tmp_path) is None
    _cache(tmp_path, 0, "x", "what")
    assert last_level_cache_bytes(tmp_path) is None


def test_the_budget_is_two_thirds_of_the_cache_within_its_range() -> None:
    low, high = CPU_CHUNK_RANGE
    assert cpu_chunk_bytes(48 << 20) == 32 << 20  # as measured best with 48 MB of L3
    assert cpu_chunk_bytes(6 << 20) == low
    assert cpu_chunk_bytes(480 << 20) == high
    assert cpu_chunk_bytes(None) == 32 << 20  # unknown: as a 48 MB cache
