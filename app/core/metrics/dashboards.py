"""The pre-built Grafana dashboards, as the observability guide uses them::

    from app.core.metrics.dashboards import create_dashboards_in_grafana

    await create_dashboards_in_grafana(
        grafana_url="http://localhost:3000",
        api_key="your-api-key"
    )

The models are built in ``app.core.metrics.dashboard_model``; the HTTP side (folder, upsert,
errors, retries) is ``app.core.metrics.grafana``. ``export_dashboards`` writes the same models
as files Grafana provisions from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from app.core.metrics.grafana import (
    DEFAULT_FOLDER_TITLE,
    FOLDER_UID,
    DashboardResult,
    GrafanaError,
    RetryPolicy,
    push_dashboards,
)

__all__ = [
    "DashboardResult",
    "GrafanaError",
    "build_dashboards",
    "create_dashboards_in_grafana",
    "export_dashboards",
]


def build_dashboards() -> list[dict[str, Any]]:
    """Every dashboard's Grafana JSON model (stable ``uid`` and ``title`` each)."""
    from app.core.metrics.dashboard_model import build_dashboards as build

    return build()


def export_dashboards(directory: Path) -> list[Path]:
    """Write the dashboards' JSON and Grafana's provisioning YAML under ``directory``."""
    from app.core.metrics.dashboard_model import export_dashboards as export

    return export(directory)


async def create_dashboards_in_grafana(
    grafana_url: str,
    api_key: str | None = None,
    *,
    basic_auth: tuple[str, str] | None = None,
    dashboards: Sequence[Mapping[str, Any]] | None = None,
    folder_title: str = DEFAULT_FOLDER_TITLE,
    folder_uid: str = FOLDER_UID,
    request_timeout: float = 10.0,
    retry: RetryPolicy | None = None,
) -> list[DashboardResult]:
    """Create or find the folder and upsert every dashboard into it (idempotent).

    ``api_key`` is a service-account token (sent as ``Authorization: Bearer``); or give
    ``basic_auth=(user, password)``. ``dashboards`` defaults to :func:`build_dashboards`.
    Raises a :class:`GrafanaError` subclass naming the cause (401, 403, 404, 409/412, or
    Grafana unavailable after the retries)."""
    models = build_dashboards() if dashboards is None else dashboards
    return await push_dashboards(
        grafana_url,
        models,
        api_key=api_key,
        basic_auth=basic_auth,
        folder_title=folder_title,
        folder_uid=folder_uid,
        request_timeout=request_timeout,
        retry=retry,
    )
