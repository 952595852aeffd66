"""A job that falls due while the event loop is busy (a long render, a big fan-out page) still
runs: APScheduler's default would skip it when it starts more than a second late, and a skipped
daily run never schedules the next one."""

from __future__ import annotations

import asyncio
import time


async def test_a_job_due_while_the_loop_is_blocked_runs_late_instead_of_never(app):
    ran = asyncio.Event()

    async def job(context) -> None:
        ran.set()

    app.job_queue.run_once(job, when=0.2, name="late")
    time.sleep(2.5)  # noqa: ASYNC251 - the point: the loop is blocked past the due time
    await asyncio.wait_for(ran.wait(), timeout=60)
