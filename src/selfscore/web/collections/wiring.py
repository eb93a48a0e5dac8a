"""Collections plugged into the web app: its routers, the database and the sign-in redirect."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from selfscore.collect.access import Access, SignInLimits
from selfscore.collect.database import Database
from selfscore.collect.service import Collections, Quota, Refused
from selfscore.web.collections import json_api, review_pages, reviewer_pages, unit_pages, users_pages
from selfscore.web.collections.guards import (
    ApiUnauthorized,
    CollectionsContext,
    SignInNeeded,
    api_collection_of_caller,
    collection_of_reviewer,
    refused,
    sign_in_redirect,
)
from selfscore.web.errors import WebError, error_response, route_path, validation_error


def install_collections(app: FastAPI, database: Database, quota: Quota | None = None,
                        limits: SignInLimits | None = None) -> None:
    """Serve the collection pages, unit links and API from ``database`` (migrated already); ``quota``: what each unit's
    link may store; signing in within ``limits``."""
    app.state.collections = CollectionsContext(Collections(database, quota), Access(database, limits))

    def _sign_in(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInNeeded)
        return sign_in_redirect(request, error)

    def _unauthorized(_request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiUnauthorized)
        return error.response()

    def _refused(request: Request, error: Exception) -> Response:
        # What the service refuses (not found, closed, invalid) reaches every page and API route the same way.
        assert isinstance(error, Refused)
        return error_response(request.scope, refused(error))

    def _invalid(request: Request, error: Exception) -> Response:
        # The collections API names each wrong field in Chinese; every other route keeps the app's own answer.
        if route_path(request.scope).startswith("/api/collections") and isinstance(error, RequestValidationError):
            return error_response(request.scope, WebError(400, "invalid", json_api.field_message(list(error.errors()))))
        return validation_error(request, error)

    app.add_exception_handler(SignInNeeded, _sign_in)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(ApiUnauthorized, _unauthorized)
    # Every route with a {collection_id}, on these routers, answers only a user who may see that collection.
    for router in (reviewer_pages.router, review_pages.router, users_pages.router):
        app.include_router(router, dependencies=[Depends(collection_of_reviewer)])
    app.include_router(unit_pages.router)
    app.include_router(json_api.router, dependencies=[Depends(api_collection_of_caller)])
