"""Uploads are kept for `serve.retention_minutes` after their last use (any request that touches one), then
removed, folder and all, by a sweeper task: a review in progress is never lost under its reader."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable

from reportgen.apps.serve.uploads import Upload


def remove_expired(uploads: dict[str, Upload], retention_minutes: int, now: float) -> list[str]:
    """Delete every upload unused for the retention time, folder and all; returns their ids. One with a
    build or a send under way is kept (its request refreshes it when it ends)."""
    limit = retention_minutes * 60
    expired = [
        upload_id
        for upload_id, upload in uploads.items()
        if now - upload.last_used >= limit and not upload.busy
    ]
    for upload_id in expired:
        shutil.rmtree(uploads.pop(upload_id).folder, ignore_errors=True)
    return expired


async def sweep_forever(
    uploads: dict[str, Upload], retention_minutes: int, clock: Callable[[], float]
) -> None:
    """Look for expired uploads every minute (sooner when they are kept for less than four minutes)."""
    interval = min(60.0, retention_minutes * 15.0)
    while True:
        await asyncio.sleep(interval)
        remove_expired(uploads, retention_minutes, clock())
