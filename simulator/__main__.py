"""``python -m simulator``: run the Parakey simulator until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from . import ParakeySimulator, SimulatorServer


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A local Parakey cloud")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8710)
    parser.add_argument("--token", default="demo")
    parser.add_argument("--demo", action="store_true", help="random unlocks")
    parser.add_argument("--demo-interval", type=float, default=25.0)
    parser.add_argument("--legacy", action="store_true", help="API 1.0 field names")
    parser.add_argument("--no-devices-endpoint", action="store_true")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--webhook-url")
    parser.add_argument(
        "--webhook-header",
        action="append",
        default=[],
        help='"Name: value", repeatable',
    )
    return parser.parse_args()


async def _main(args: argparse.Namespace) -> None:
    simulator = ParakeySimulator(
        token=args.token,
        legacy=args.legacy,
        devices_endpoint=not args.no_devices_endpoint,
        time_scale=args.time_scale,
    )
    if args.webhook_url:
        headers = {
            name.strip(): value.strip()
            for name, _, value in (h.partition(":") for h in args.webhook_header)
        }
        simulator.configure_webhook(args.webhook_url, headers)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with SimulatorServer(simulator, host=args.host, port=args.port) as server:
        if args.demo:
            simulator.start_demo(args.demo_interval, jitter=args.demo_interval / 5)
        print(
            f"Parakey simulator on {server.base_url} (token: {args.token})", flush=True
        )
        await stop.wait()
        await simulator.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(_parse()))
