"""``sagemaker-emulator``: serve the SageMaker control-plane API on loopback."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pathlib
import signal

from .backend import DEFAULT_ACCOUNT, DEFAULT_REGION, Backend
from .clock import Clock
from .server import EmulatorServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sagemaker-emulator", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("SAGEMAKER_EMULATOR_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("SAGEMAKER_EMULATOR_PORT", "0")),
        help="0 picks a free port",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=float(os.environ.get("SAGEMAKER_EMULATOR_TIME_SCALE", "1.0")),
        help="multiply SageMaker's realistic durations by this (1.0 = realistic, 0.001 = tests)",
    )
    parser.add_argument("--account", default=DEFAULT_ACCOUNT, help="account id used in ARNs")
    parser.add_argument("--region", default=DEFAULT_REGION, help="region when a request names none")
    parser.add_argument("--seed", type=int, default=None, help="seed for probabilistic fault injection")
    parser.add_argument("--url-file", default=None, help="also write the URL to this file once listening")
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    backend = Backend(account=args.account, default_region=args.region, clock=Clock(args.time_scale), seed=args.seed)
    # Handlers first: whoever has seen the URL may stop us at once, and must get a clean exit.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = await EmulatorServer(backend, host=args.host, port=args.port).start_async()
    if args.url_file:
        await asyncio.to_thread(pathlib.Path(args.url_file).write_text, server.url + "\n")
    print(f"sagemaker-emulator listening on {server.url}", flush=True)
    await stop.wait()
    await server.stop_async()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
