#!/usr/bin/env python3
"""What a user would otherwise run: the same audit as a straightforward script over
Vapi's official Python SDK (`pip install vapi-server-sdk`), one `phone_numbers.get`
after another; and the strongest peers a Python user would write: `AsyncVapi` with
`asyncio.gather` under a semaphore (8 and 64 in flight), and the SDK's paged list
(`phone_number_controller_find_all_paginated`, pages 2.. at once). All against the
same API stand-in as vapi-drift, at the same latency, in the same paired runs.

Not part of the test suite. Needs a release build and the SDK:

    cargo build --release --workspace && pip install vapi-server-sdk
    python3 benches/python_sdk.py --n 200 --latency-ms 20 --runs 3

Prints a Markdown table: wall time (median of the runs) of the SDK script and of
vapi-drift (one request at a time, the default concurrency, and the default
fetch route), and each one's ratio to the SDK script.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

KEY = "bench-key-not-secret"
SERVER_MANAGED = ("orgId", "createdAt", "updatedAt", "status")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_standin(standin, n, latency_ms):
    env = dict(os.environ, VAPI_API_KEY=KEY)
    proc = subprocess.Popen(
        [standin, "--generate", str(n), "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.send_signal(signal.SIGINT)
        sys.exit(f"the stand-in did not start: {url!r}")
    return proc, url


def live_numbers(url):
    req = urllib.request.Request(
        f"{url}/phone-number?limit=1000", headers={"Authorization": f"Bearer {KEY}"}
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def write_desired(folder, numbers):
    os.makedirs(folder, exist_ok=True)
    for n in numbers:
        doc = {k: v for k, v in n.items() if k not in SERVER_MANAGED}
        with open(os.path.join(folder, f"{n['id']}.yaml"), "w") as f:
            json.dump(doc, f, indent=2)  # JSON is YAML


def sdk_audit(url, desired):
    """One GET after another, then a plain comparison, as a script would do it."""
    from vapi import Vapi

    client = Vapi(token=KEY, base_url=url)
    drifted = 0
    for want in desired:
        live = client.phone_numbers.get(want["id"])
        have = live.dict(by_alias=True, exclude_none=True)
        have = {k: v for k, v in have.items() if k not in SERVER_MANAGED}
        if have != want:
            drifted += 1
    return drifted


def compare(desired, lives):
    """The script's plain comparison of each desired number with its live object."""
    by_id = {}
    for live in lives:
        have = live.dict(by_alias=True, exclude_none=True)
        by_id[have.get("id")] = {k: v for k, v in have.items() if k not in SERVER_MANAGED}
    return sum(1 for want in desired if by_id.get(want["id"]) != want)


def async_get_audit(url, desired, concurrency):
    """The strongest GET script a Python user would write: AsyncVapi, every get at
    once through asyncio.gather, at most `concurrency` in flight (a semaphore)."""
    import asyncio
    from vapi import AsyncVapi

    async def run():
        client = AsyncVapi(token=KEY, base_url=url)
        gate = asyncio.Semaphore(concurrency)

        async def get(i):
            async with gate:
                return await client.phone_numbers.get(i)

        lives = await asyncio.gather(*(get(w["id"]) for w in desired))
        return compare(desired, lives)

    return asyncio.run(run())


def async_list_audit(url, desired):
    """The SDK's paged list (`GET /v2/phone-number`, 1000 a page), page 1 and then
    the announced remaining pages at once, then the same comparison."""
    import asyncio
    from vapi import AsyncVapi

    async def run():
        client = AsyncVapi(token=KEY, base_url=url)
        list_page = client.phone_numbers.phone_number_controller_find_all_paginated
        first = await list_page(page=1, limit=1000, sort_order="ASC")
        pages = int(first.metadata.total_items + 999) // 1000 if first.metadata.total_items else 1
        rest = await asyncio.gather(
            *(list_page(page=p, limit=1000, sort_order="ASC") for p in range(2, pages + 1))
        )
        lives = [n for page in [first, *rest] for n in page.results]
        return compare(desired, lives)

    return asyncio.run(run())


def timed(fn, runs):
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
    return statistics.median(walls), min(walls), max(walls)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/vapi-drift"))
    ap.add_argument("--standin", default=os.path.join(ROOT, "target/release/vapi-standin"))
    a = ap.parse_args()
    if a.n > 1000:
        sys.exit("--n at most 1000 (one list page builds the desired files)")

    proc, url = start_standin(a.standin, a.n, a.latency_ms)
    try:
        numbers = live_numbers(url)
        desired = [{k: v for k, v in n.items() if k not in SERVER_MANAGED} for n in numbers]
        folder = tempfile.mkdtemp(prefix="vapi-drift-sdk-bench-")
        write_desired(os.path.join(folder, "desired"), numbers)

        drifted = sdk_audit(url, desired)  # warm-up; also says how the naive compare fares
        rows = [("Python SDK script, one get after another", timed(lambda: sdk_audit(url, desired), a.runs))]
        for c in (8, 64):
            got = async_get_audit(url, desired, c)  # warm-up, and the same verdict
            assert got == drifted, (got, drifted)
            rows.append((f"Python AsyncVapi, asyncio.gather, semaphore {c}",
                         timed(lambda c=c: async_get_audit(url, desired, c), a.runs)))
        got = async_list_audit(url, desired)
        assert got == drifted, (got, drifted)
        rows.append(("Python AsyncVapi, the paged list", timed(lambda: async_list_audit(url, desired), a.runs)))

        def drift(*extra):
            def run():
                out = subprocess.run(
                    [a.bin, "check", "desired", "--base-url", url, "-q", "-o", "json=r.json", *extra],
                    cwd=folder,
                    env=dict(os.environ, VAPI_API_KEY=KEY),
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    sys.exit(f"vapi-drift exited {out.returncode}: {out.stderr}")
            return run

        rows.append(("vapi-drift --fetch get --concurrency 1", timed(drift("--fetch", "get", "--concurrency", "1"), a.runs)))
        rows.append(("vapi-drift --fetch get (concurrency 8, the default)", timed(drift("--fetch", "get"), a.runs)))
        rows.append(("vapi-drift (default: --fetch auto, the list route here)", timed(drift(), a.runs)))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)

    sdk = rows[0][1][0]
    print(f"N = {a.n} numbers, latency {a.latency_ms} ms, median of {a.runs} runs; "
          f"the SDK script's naive comparison called {drifted} of {a.n} numbers drifted\n")
    print("| audit | wall (median) | min–max | vs the SDK script |")
    print("|---|---:|---:|---:|")
    for name, (median, lo, hi) in rows:
        print(f"| {name} | {median:.3f} s | {lo:.3f}–{hi:.3f} s | {sdk / median:.1f}× faster |"
              if name != rows[0][0] else f"| {name} | {median:.3f} s | {lo:.3f}–{hi:.3f} s | 1× |")


if __name__ == "__main__":
    main()
