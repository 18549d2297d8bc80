"""Retention of backup sets (ops/backup.py): 35 daily, 84 monthly, 7 yearly (KRA), by the stamps in
the file names; incomplete sets (no manifest) go after a day; a clock jump prunes nothing."""

import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ops"))
import backup  # noqa: E402

TODAY = date(2026, 11, 30)


def nightly(days):
    return [f"{(TODAY - timedelta(days=n)):%Y%m%d}-0230" for n in range(days)]


def set_of(stamp, complete=True):
    names = [f"db-{stamp}.dump.age", f"media-{stamp}.tar.gz.age"]
    return names + ([f"manifest-{stamp}.json"] if complete else [])


def test_ten_years_of_nightly_sets_keep_35_days_84_months_and_7_years():
    stamps = nightly(3650)
    kept = backup.keep(stamps, TODAY)
    days = {s for s in stamps if (TODAY - date(int(s[:4]), int(s[4:6]), int(s[6:8]))).days < 35}
    assert days <= kept
    monthly = {s for s in kept if s[6:8] == "01"}
    assert "20191201-0230" in monthly and "20191101-0230" not in monthly  # 84 months back from Nov 2026
    yearly_only = kept - days - monthly
    assert yearly_only == set(), "every January 1st within 7 years is also a first of month"
    assert "20200101-0230" in kept and "20190101-0230" not in kept  # the 7 years 2020..2026
    assert len(kept) == 35 + 84 - 1  # November 1st is both a daily and a monthly copy


def test_a_first_yearly_copy_is_kept_seven_years_when_months_are_shorter():
    kept = backup.keep(nightly(3650), TODAY, days=7, months=12, years=7)
    assert {s for s in kept if s.endswith("0101-0230")} == {f"{y}0101-0230" for y in range(2020, 2027)}


def test_the_plan_deletes_whole_sets_and_failed_leftovers_but_not_todays():
    names = [n for s in nightly(40) for n in set_of(s)] + set_of("20261129-1200", complete=False) \
        + set_of("20261120-1200", complete=False) + ["unrelated.txt", ".lock"]
    now = "20261130-0230"
    plan = backup.prune_plan(names, TODAY, now)
    deleted_stamps = {backup.stamp_of(n) for n in plan}
    # days 35..39 ago are Oct 22..26; Oct 22 is October's first set (monthly copy), kept
    assert deleted_stamps == {"20261023-0230", "20261024-0230", "20261025-0230", "20261026-0230", "20261120-1200"}
    assert all(n in plan for s in deleted_stamps - {"20261120-1200"} for n in set_of(s))
    assert "unrelated.txt" not in plan and not any(now in n for n in plan)


def test_a_clock_jump_or_a_long_gap_prunes_nothing():
    names = [n for s in nightly(40) for n in set_of(s)]
    assert backup.prune_plan(names, TODAY - timedelta(days=3), "20261127-0230") == []  # newest is "in the future"
    assert backup.prune_plan(names, TODAY + timedelta(days=100), "20270310-0230") == []  # 100 days without one
