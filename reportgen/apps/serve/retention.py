"""Uploads are kept for `serve.retention_minutes`, then removed, folder and all, by a sweeper task."""

from __future__ import annotations

import asyncio
import shutil
import time

from reportgen.apps.serve.uploads import Upload


def remove_expired(uploads: dict[str, Upload], retention_minutes: int, now: float) -> list[str]:
    """Delete every upload older than the retention time, folder and all; returns their ids."""
    limit = retention_minutes * 60
    expired = [upload_id for upload_id, upload in uploads.items() if now - upload.created >= limit]
    for upload_id in expired:
        shutil.rmtree(uploads.pop(upload_id).folder, ignore_errors=True)
    return expired


async def sweep_forever(uploads: dict[str, Upload], retention_minutes: int) -> None:
    """Look for expired uploads every minute (sooner when they are kept for less than four minutes)."""
    interval = min(60.0, retention_minutes * 15.0)
    while True:
        await asyncio.sleep(interval)
        remove_expired(uploads, retention_minutes, time.monotonic())
