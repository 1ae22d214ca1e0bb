"""The cohort's calendar: when it starts, its "today", and the step between measurements."""

from __future__ import annotations

from datetime import date, timedelta

AS_OF = date(2019, 4, 15)
"""The VIVE data pull: nothing in the cohort happens after this date."""
FIRST_DAY = date(2018, 1, 1)
QUARTER = 91
"""Days between measurement points (about 3 months)."""
DAY = timedelta(days=1)
