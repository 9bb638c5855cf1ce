"""10,000 rows while three files upload: the window stays responsive.

The hard limit (< 100 ms) is in tests/bench/test_gui_stall.py; here the number
is printed and only a gross regression fails."""

from __future__ import annotations

from pathlib import Path

from .conftest import WindowDriver
from .stall_probe import run_ten_thousand_rows


def test_ten_thousand_rows_stay_responsive_while_three_files_upload(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    result = run_ten_thousand_rows(account_window, tmp_path, big_file_mib=24)
    print(
        f"\nlongest GUI-thread stall: {result['longest_stall_ms']:.1f} ms "
        f"(10,003 rows loaded in {result['rows_loaded_s']:.2f} s)"
    )
    assert account_window.window.model.rowCount() == 10_003
    assert result["longest_stall_ms"] < 500
