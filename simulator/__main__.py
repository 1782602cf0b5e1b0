"""``python -m simulator``: run the Parakey simulator until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from . import ParakeySimulator, SimulatorServer
from .demo import seed_demo_keys
from .key_api import ANSWERS


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A local Parakey cloud")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8710)
    parser.add_argument("--token", default="demo")
    parser.add_argument("--place-id", default="dom_1", help="the place's (domain's) id")
    parser.add_argument("--place-name", default="Home", help="the place's name")
    parser.add_argument("--demo", action="store_true", help="random unlocks")
    parser.add_argument("--demo-interval", type=float, default=25.0)
    parser.add_argument("--legacy", action="store_true", help="API 1.0 field names")
    parser.add_argument("--no-devices-endpoint", action="store_true")
    parser.add_argument(
        "--no-accesses-endpoint",
        action="store_true",
        help="GET /accesses answers 404",
    )
    parser.add_argument(
        "--batch-delay",
        type=float,
        default=2.0,
        help="seconds until a key change (batch) completes",
    )
    parser.add_argument(
        "--key-answer",
        choices=ANSWERS,
        default="batch",
        help="what POST /access-keys answers",
    )
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--webhook-url")
    parser.add_argument(
        "--webhook-header",
        action="append",
        default=[],
        help='"Name: value", repeatable',
    )
    parser.add_argument(
        "--batch-webhook",
        action="store_true",
        help='also post "Batch completed" to --webhook-url, same headers',
    )
    return parser.parse_args()


async def _main(args: argparse.Namespace) -> None:
    simulator = ParakeySimulator(
        token=args.token,
        place_id=args.place_id,
        place_name=args.place_name,
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
        if args.batch_webhook:
            simulator.configure_webhook(
                args.webhook_url, headers, webhook_type="batch_completed"
            )
    simulator.key_api.configure(
        batch_delay=args.batch_delay,
        answer=args.key_answer,
        accesses_endpoint=not args.no_accesses_endpoint,
    )
    if args.demo:
        seed_demo_keys(simulator)
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
