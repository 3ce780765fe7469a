#!/usr/bin/env python3
"""Posts snapshot JSON lines to a running Observer service (observer.ts serve) in batches, as a
Python trading runtime would: standard library only, gzip, bearer token, retries.

    python3 examples/producer.py --ticks 100 | python3 examples/python_producer.py
    python3 examples/python_producer.py --url http://127.0.0.1:8089/v1/snapshots --batch 500 \
        --token-env QTS_TOKEN < my-snapshots.jsonl

A batch answered 503 (the service is busy, or a sink is failing under ack=durable) recorded
nothing; it is sent again after Retry-After (or a doubling delay), so every snapshot is recorded
exactly once. A refused connection is retried the same way. Other errors stop the producer with
exit code 2. The totals of the service's answers are printed as one JSON line on stdout.
"""

import argparse
import gzip
import json
import os
import sys
import time
import urllib.error
import urllib.request

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--url", default="http://127.0.0.1:8089/v1/snapshots")
parser.add_argument("--batch", type=int, default=1000, help="lines per request (default 1000)")
parser.add_argument("--ack", choices=["queued", "durable"], default="queued")
parser.add_argument("--token-env", help="environment variable holding the bearer token")
parser.add_argument("--retries", type=int, default=20, help="attempts per batch (default 20)")
parser.add_argument("--no-gzip", action="store_true", help="send the body uncompressed")
args = parser.parse_args()

token = os.environ.get(args.token_env) if args.token_env else None
totals = {"batches": 0, "accepted": 0, "blocked": 0, "rejected": 0, "retries": 0}


def post(lines):
    body = "".join(lines).encode("utf-8")
    headers = {"Content-Type": "application/x-ndjson"}
    if not args.no_gzip:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{args.url}?ack={args.ack}"
    delay = 0.05
    for attempt in range(args.retries):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code != 503:
                sys.exit(f"error: {error.code} from {args.url}: {error.read().decode()[:500]}")
            wait = float(error.headers.get("Retry-After") or delay)
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                sys.exit(f"error: cannot post to {args.url}: {error.reason}")
            wait = delay
        totals["retries"] += 1
        time.sleep(wait)
        delay = min(delay * 2, 5.0)
    sys.exit(f"error: {args.url} still refused a batch after {args.retries} attempts")


def send(lines):
    answer = post(lines)
    totals["batches"] += 1
    totals["accepted"] += answer["accepted"]
    totals["blocked"] += len(answer["blocked"])
    totals["rejected"] += len(answer["rejected"])


batch = []
for line in sys.stdin:
    if not line.strip():
        continue
    batch.append(line if line.endswith("\n") else line + "\n")
    if len(batch) >= args.batch:
        send(batch)
        batch = []
if batch:
    send(batch)
print(json.dumps(totals))
