"""Crash consistency: SIGKILL `python -m bot daily` at seeded random points over several
trials; after the restart the database is intact, the session was processed once, and every
(event, chat) arrived exactly once (except the message in flight at the kill, counted)."""

from __future__ import annotations

import random
import shutil

import pytest

from tests.reliability.crash import CrashFigures, crash_trial

SEED = 20251031

# The fake reads sendPhoto uploads through aiohttp's multipart parser and never closes the
# spooled temp file; a client killed mid-request makes that visible at garbage collection.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)


async def _trials(n, fake, prior_db_file, tmp_path, report_figures) -> CrashFigures:
    rng = random.Random(SEED)
    figures = CrashFigures()
    for trial in range(n):
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        database = folder / "bot.db"
        shutil.copy(prior_db_file, database)
        await crash_trial(fake, database, folder, rng, figures)
    report_figures(f"crash: {figures.line()}")
    assert figures.duplicates == 0
    assert figures.missing == 0
    # the kills did happen: the OS reported runs ended by SIGKILL (exit status -9), so the
    # restarts above recovered from real crashes, not from runs that finished on their own
    assert sum(figures.kills.values()) >= 1
    return figures


@pytest.mark.timeout(300)
async def test_sigkill_at_random_points_few_trials(fake, prior_db_file, tmp_path, report_figures):
    await _trials(3, fake, prior_db_file, tmp_path, report_figures)


@pytest.mark.slow
@pytest.mark.timeout(1800)
async def test_sigkill_at_random_points_soak(fake, prior_db_file, tmp_path, report_figures):
    figures = await _trials(40, fake, prior_db_file, tmp_path, report_figures)
    assert sum(figures.kills.values()) >= 40
