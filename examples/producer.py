#!/usr/bin/env python3
"""A minimal QTS snapshot producer: prints ObservationSnapshot JSON lines on stdout, as a Python
trading runtime would hand them to the Observer.

    python3 examples/producer.py | deno task observer
    python3 examples/producer.py --ticks 100 --nan > my-snapshots.jsonl

Standard library only. With --nan, every tenth tick carries a NaN price (written as Python's
bare NaN token), which the Observer blocks and writes to its dead-letter file.
"""

import argparse
import json
import random
import sys
import uuid
from datetime import datetime, timezone

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--ticks", type=int, default=10, help="ticks per symbol (default 10)")
parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
parser.add_argument("--nan", action="store_true", help="every tenth tick has a NaN price")
args = parser.parse_args()

rng = random.Random(args.seed)
session = f"py-{args.seed}"
symbols = {"005930": 71000.0, "000660": 182000.0}
start_ms = 1769396400000  # 2026-01-26T03:00:00Z

for tick in range(args.ticks):
    for symbol, price in symbols.items():
        price = round(price * (1 + rng.gauss(0, 0.001)), 0)  # a float: written as 71000.0
        symbols[symbol] = price
        ts_ms = start_ms + tick * 1000
        snapshot = {
            "meta": {
                "timestamp": datetime.fromtimestamp(ts_ms / 1000, timezone.utc)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "timestamp_ms": ts_ms,
                "session_id": session,
                "run_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "mode": "DEV",
                "observer_version": "v1.0.0",
            },
            "context": {"source": "market", "stage": "raw", "symbol": symbol, "market": "KRX"},
            "observation": {
                "inputs": {
                    "price": float("nan") if args.nan and tick % 10 == 9 else price,
                    "volume": rng.randint(1, 500),
                },
                "computed": {},
                "state": {"tick_index": tick},
            },
        }
        sys.stdout.write(json.dumps(snapshot, ensure_ascii=False) + "\n")
