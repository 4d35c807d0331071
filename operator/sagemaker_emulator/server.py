"""HTTP front end: SageMaker's awsJson1_1 wire protocol on ``POST /`` and the admin API.

botocore and the AWS CLI talk to it unmodified (``endpoint_url``); any credentials are accepted.
The region comes from the SigV4 credential scope of the Authorization header.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from typing import Any

from aiohttp import web

from . import admin, errors
from .backend import Backend

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
JSON_TYPE = "application/x-amz-json-1.1"


def _answer(body: dict[str, Any], status: int, request_id: str) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type=JSON_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )


def make_app(backend: Backend) -> web.Application:
    async def api(request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        target = request.headers.get("X-Amz-Target", "")
        service, _, op = target.partition(".")
        if service != "SageMaker" or not op:
            err = errors.SageMakerError("UnknownOperationException", f"Unknown target '{target}'.")
            return _answer(err.body(), err.status, request_id)
        latency = backend.faults.latency(op)
        if latency:
            await asyncio.sleep(latency)
        if backend.faults.should_reset(op):
            backend.counters[op] += 1
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionResetError("connection reset by sagemaker-emulator fault injection")
        match = _SCOPE.search(request.headers.get("Authorization", ""))
        region = match.group(1) if match else None
        raw = await request.read()
        try:
            params = json.loads(raw) if raw else {}
            if not isinstance(params, dict):
                raise ValueError
        except ValueError:
            err = errors.SageMakerError("SerializationException", "The request body is not a JSON object.")
            return _answer(err.body(), err.status, request_id)
        try:
            result = backend.call(op, params, region)
        except errors.SageMakerError as err:
            return _answer(err.body(), err.status, request_id)
        return _answer(result, 200, request_id)

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/", api)
    admin.add_routes(app, backend)
    return app


class EmulatorServer:
    """Serve a Backend over HTTP, either on a background thread or on the caller's event loop.

    >>> server = EmulatorServer(port=0).start()   # thread; returns self
    >>> server.url                                # http://127.0.0.1:<port>
    >>> server.stop()
    """

    def __init__(self, backend: Backend | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.backend = backend or Backend()
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start_async(self) -> EmulatorServer:
        self._runner = web.AppRunner(make_app(self.backend), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None and isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop_async(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> EmulatorServer:
        """Serve on a daemon thread with its own event loop; returns once the port is bound."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # surfaced to the starting thread
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self.stop_async())
            loop.close()
            self._stopped.set()

        self._thread = threading.Thread(target=run, name="sagemaker-emulator", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None
            self._loop = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
