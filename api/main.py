"""The coopledger API: ``create_app`` builds the FastAPI application over a store.

Routes live under ``/v1`` (one router per resource in :mod:`api.routes`), plus ``/health``; the dashboard is
at ``/`` (:mod:`api.routes.dashboard`). The OpenAPI schema is at ``/openapi.json`` and the interactive
documentation at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from api.errors import ERROR_RESPONSES, install_error_handlers
from api.middleware import RefuseRepeatedParameters
from api.routes import (
    admin,
    agreements,
    assets,
    audit,
    dashboard,
    events,
    exports,
    graph,
    health,
    members,
    metrics,
    referrals,
)
from api.service import LedgerService
from api.settings import ApiSettings, load_api_settings
from ledger import __version__
from ledger.store import Store

__all__ = ["create_app"]


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The application over the store in ``settings`` (read from the environment when None), opened at
    start-up and closed at shut-down.

    Raises
    ------
    SettingsError
        If ``settings`` is None and the environment's settings are invalid.
    """
    chosen = settings or load_api_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with Store.open(chosen.store_url) as store:
            app.state.service = LedgerService(store, chosen)
            yield

    app = FastAPI(
        title="coopledger",
        version=__version__,
        summary="The network, value-sharing and referral figures of a co-opetition consortium, and its "
        "auditable history.",
        description="Read-only JSON over the indexed store (but `/v1/admin`, behind a bearer token). Every "
        "query parameter takes one value: a repeated parameter is a 422 naming it. Errors share one shape, "
        "`{error: {status, parameter, message}}`.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        # a path is served as documented: `/v1/agreements/` or `/v1/agreements/%2F` (an id "/") is a 404
        # naming it, not a redirect to the list
        redirect_slashes=False,
    )
    install_error_handlers(app)
    app.add_middleware(RefuseRepeatedParameters)
    version_1 = APIRouter(prefix="/v1")
    for router in (
        members.router,
        assets.router,
        agreements.router,
        referrals.programs,
        referrals.referrals,
        events.router,
        metrics.metrics,
        metrics.alerts,
        graph.router,
        exports.router,
        audit.router,
        admin.router,
    ):
        version_1.include_router(router)
    app.include_router(health.router)
    app.include_router(version_1)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC), name="static")
    return app
