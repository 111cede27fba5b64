"""The services of the running process; set once at start-up by the server, read by API routes and pages."""

from __future__ import annotations

from .services.container import Services

_current: Services | None = None


def install(services: Services | None) -> None:
    global _current
    _current = services


def services() -> Services:
    if _current is None:
        raise RuntimeError('The app has not started: services are not installed yet.')
    return _current
