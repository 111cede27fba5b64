"""Prometheus metrics: request counts and latencies per route template, and active browser connections."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """One registry per app, so tests that rebuild the app never register a metric twice."""

    def __init__(self, active_connections: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter('tavern_http_requests_total', 'HTTP requests', ['method', 'route', 'status'],
                                registry=self.registry)
        self.latency = Histogram('tavern_http_request_duration_seconds', 'HTTP request latency', ['method', 'route'],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.connections = Gauge('tavern_active_connections', 'Browser clients connected over the websocket',
                                 registry=self.registry)
        self.connections.set_function(active_connections)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Pure ASGI middleware (no per-request task overhead) that times every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message['type'] == 'http.response.start':
                status = message['status']
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get('route')
            template = getattr(route, 'path', None) or _static_group(scope.get('path', ''))
            self.metrics.requests.labels(scope['method'], template, str(status)).inc()
            self.metrics.latency.labels(scope['method'], template).observe(time.perf_counter() - start)


def _static_group(path: str) -> str:
    """Unrouted paths are grouped, so random URLs cannot blow up the label count."""
    return '/_nicegui/*' if path.startswith('/_nicegui') else 'unmatched'


def install_metrics(app: FastAPI, active_connections: Callable[[], int]) -> Metrics:
    metrics = Metrics(active_connections)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_api_route('/metrics', metrics.render, methods=['GET'], include_in_schema=False)
    return metrics
