"""The coopledger API: ``create_app`` builds the FastAPI application over a store.

Routes live under ``/v1`` (one router per resource in :mod:`api.routes`), plus ``/health``; the dashboard is
at ``/`` (:mod:`api.routes.dashboard`). The OpenAPI schema is at ``/openapi.json`` and the interactive
documentation at ``/docs``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from api.errors import ERROR_RESPONSES, install_error_handlers
from api.middleware import RefuseRepeatedParameters
from api.notify import AlertMonitor, WebhookDeliverer
from api.routes import (
    admin,
    agreements,
    assets,
    audit,
    contracts,
    dashboard,
    events,
    exports,
    graph,
    health,
    members,
    metrics,
    recommendations,
    referrals,
    stream,
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
            service = LedgerService(store, chosen)
            app.state.service = service
            service.refresher.start()
            service.warm_up()
            monitor = AlertMonitor(
                store, service.alerts_at_head, chosen.webhook_urls, max(chosen.poll_interval, 0.2)
            )
            monitor.start()
            deliverer = None
            if chosen.webhook_secret is not None:
                deliverer = WebhookDeliverer(
                    store, chosen.webhook_secret, chosen.webhook_max_attempts, chosen.webhook_retry_seconds
                )
                deliverer.start()
            try:
                yield
            finally:
                app.state.closing.set()
                monitor.stop()
                if deliverer is not None:
                    deliverer.stop()
                service.refresher.stop()

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
    app.state.closing = threading.Event()  # set when the server is told to stop: event streams end
    install_error_handlers(app)
    app.add_middleware(RefuseRepeatedParameters)
    version_1 = APIRouter(prefix="/v1")
    for router in (
        members.router,
        assets.router,
        agreements.router,
        contracts.router,
        referrals.programs,
        referrals.referrals,
        events.router,
        metrics.metrics,
        metrics.alerts,
        metrics.ratings,
        recommendations.members,
        recommendations.router,
        stream.router,
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
    app.openapi = _openapi_with_deployment(app)  # type: ignore[method-assign]
    return app


def _openapi_with_deployment(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` stating the values of every enum filter (``x-coopledger-enum``, see
    :func:`api.deps.enum_query`) as the deployment the store was indexed from names them: the server
    refuses any other, so the schema says so. Before anything is indexed the filters take any snake-case
    word (and match nothing), as the generated schema says."""
    generate = app.openapi
    served: list[tuple[object, dict[str, Any]]] = []

    def openapi() -> dict[str, Any]:
        generated = _tidy(generate())
        service: LedgerService | None = getattr(app.state, "service", None)
        manifest = None if service is None else service.store.deployment()
        if service is None or manifest is None:
            return generated
        if not served or served[0][0] is not manifest:
            schema = copy.deepcopy(generated)
            for parameter in _parameters(schema):
                named = parameter["schema"].get("x-coopledger-enum")
                if named:
                    contract, _, enum = named.partition(".")
                    labels = service.labels(contract, enum)
                    for option in parameter["schema"].get("anyOf", [parameter["schema"]]):
                        if option.get("type") == "string" and labels:
                            option["enum"] = labels
            served[:] = [(manifest, schema)]
        return served[0][1]

    return openapi


def _tidy(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as the server answers, where FastAPI's generated one differs: an error is always JSON
    (``ErrorBody``), even from a route whose success is not (FastAPI files every response of a route under
    the route's media type); and the model of a response that is not JSON has no ``type: string`` beside it
    (the audit's newline-delimited lines are objects). In place; idempotent."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                contents = response.get("content", {})
                if status[0] in "45" and contents and "application/json" not in contents:
                    response["content"] = {"application/json": contents.popitem()[1]}
                for media, content in response.get("content", {}).items():
                    if media != "application/json" and "$ref" in content.get("schema", {}):
                        content["schema"].pop("type", None)
    return schema


def _parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation's parameters in an OpenAPI ``schema``."""
    return [
        parameter
        for item in schema.get("paths", {}).values()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
    ]
