"""The bulletin's charts find the CJK font even when matplotlib's font cache predates it (the
font package installed after matplotlib first ran): the fonts are added, not reported missing."""

from __future__ import annotations

import pytest
from matplotlib import font_manager

from reports import charts


def _cache_without_cjk_files(monkeypatch) -> None:
    """matplotlib's font list as cached before the CJK font files were installed."""
    charts.cjk_family()  # the machine has the font (CI installs it)
    listed = font_manager.fontManager.ttflist
    files = {f.fname for f in listed if f.name in charts.CJK_FAMILIES}
    monkeypatch.setattr(
        font_manager.fontManager, "ttflist", [f for f in listed if f.fname not in files]
    )


def test_a_cjk_font_missing_from_the_font_cache_is_found(monkeypatch):
    _cache_without_cjk_files(monkeypatch)
    assert charts._installed_cjk() is None
    assert charts.cjk_family() in charts.CJK_FAMILIES


def test_no_cjk_font_at_all_names_the_package_to_install(monkeypatch):
    _cache_without_cjk_files(monkeypatch)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
        charts.cjk_family()
