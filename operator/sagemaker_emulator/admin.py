"""The admin interface under ``/_emulator/``: counters, reset, faults, time, out-of-band changes.

Every route is a thin JSON wrapper over a Backend method, so tests may use either.
Out-of-band actions (what the console or Application Auto Scaling would do) are registered by
the ops modules with ``@oob_action("name")`` and served at ``POST /_emulator/oob/<name>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import errors, forced, limits
from .backend import Backend

OobAction = Callable[[Backend, dict[str, Any]], dict[str, Any]]
OOB_ACTIONS: dict[str, OobAction] = {}


def oob_action(name: str) -> Callable[[OobAction], OobAction]:
    def register(fn: OobAction) -> OobAction:
        OOB_ACTIONS[name] = fn
        return fn

    return register


def run_oob(backend: Backend, name: str, params: dict[str, Any]) -> dict[str, Any]:
    action = OOB_ACTIONS.get(name)
    if action is None:
        raise errors.validation(f"Unknown out-of-band action '{name}'. Known: {sorted(OOB_ACTIONS)}")
    with backend.lock:
        backend.scheduler.run_due()
        return action(backend, params)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, default=str), status=status, content_type="application/json")


def add_routes(app: web.Application, backend: Backend) -> None:
    async def body(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        data = json.loads(raw) if raw else {}
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return data

    async def health(_: web.Request) -> web.Response:
        return _json({"ok": True})

    async def counters(_: web.Request) -> web.Response:
        with backend.lock:
            return _json(
                {
                    "calls": dict(backend.counters),
                    "errors": dict(backend.errors),
                    "throttled": backend.faults.throttled,
                }
            )

    async def reset(request: web.Request) -> web.Response:
        what = (await body(request)).get("what", "all")
        with backend.lock:
            if what == "counters":
                backend.counters.clear()
                backend.errors.clear()
            elif what == "faults":
                backend.faults.reset()
            else:
                backend.reset()
        return _json({"reset": what})

    async def get_faults(_: web.Request) -> web.Response:
        return _json(backend.faults.describe())

    async def set_faults(request: web.Request) -> web.Response:
        data = await body(request)
        op = data.pop("operation", "*")
        try:
            with backend.lock:
                backend.faults.set(op, **data)
        except TypeError as exc:
            return _json({"error": str(exc)}, status=400)
        return _json(backend.faults.describe())

    async def clear_faults(request: web.Request) -> web.Response:
        op = request.query.get("operation")
        with backend.lock:
            if op is None:
                backend.faults.reset()
            else:
                backend.faults.clear(op)
        return _json(backend.faults.describe())

    async def time_(request: web.Request) -> web.Response:
        data = await body(request) if request.method == "POST" else {}
        with backend.lock:
            if "advance" in data:
                backend.clock.advance(float(data["advance"]))
            if "timeScale" in data:
                backend.clock.time_scale = float(data["timeScale"])
            backend.scheduler.run_due()
            return _json({"now": backend.clock.now(), "timeScale": backend.clock.time_scale})

    async def oob(request: web.Request) -> web.Response:
        try:
            return _json(run_oob(backend, request.match_info["action"], await body(request)))
        except errors.SageMakerError as err:
            return _json(err.body(), status=err.status)

    async def fail(request: web.Request) -> web.Response:
        data = await body(request)
        if not data.get("kind") or not data.get("name"):
            return _json({"error": "kind and name are required"}, status=400)
        forced.force_failure(backend, str(data["kind"]), str(data["name"]), data.get("reason"))
        return _json({"forced": forced.pending_forced_failures(backend)})

    async def get_fail(_: web.Request) -> web.Response:
        return _json({"forced": forced.pending_forced_failures(backend)})

    async def limits_(request: web.Request) -> web.Response:
        data = await body(request) if request.method == "POST" else {}
        try:
            overrides = limits.set_instance_limits(backend, data)
        except (TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, status=400)
        return _json({"default": limits.DEFAULT_INSTANCE_LIMIT, "limits": overrides})

    app.router.add_get("/_emulator/health", health)
    app.router.add_get("/_emulator/fail", get_fail)
    app.router.add_post("/_emulator/fail", fail)
    app.router.add_get("/_emulator/limits", limits_)
    app.router.add_post("/_emulator/limits", limits_)
    app.router.add_get("/_emulator/counters", counters)
    app.router.add_post("/_emulator/reset", reset)
    app.router.add_get("/_emulator/faults", get_faults)
    app.router.add_post("/_emulator/faults", set_faults)
    app.router.add_delete("/_emulator/faults", clear_faults)
    app.router.add_get("/_emulator/time", time_)
    app.router.add_post("/_emulator/time", time_)
    app.router.add_post("/_emulator/oob/{action}", oob)
