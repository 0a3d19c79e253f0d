"""`make bench`: whole triage conversations against the real servers, and a stock bot beside.

Loopback only and bounded: each level runs a fixed number of conversations with at most
`concurrency` of them at once; nothing is timed as a test. Prints, per setup and level,
p50/p95/p99 latency per message, messages per second, errors and the Rasa servers' resident
memory, then the ratios to a stock `rasa init` bot served the same way on the same machine.
Setups: our bot on one server (SQLite, as `make run`); our bot over PostgreSQL (a throwaway
cluster) and Redis (a unique key prefix) on one server with two Sanic workers, and on two
servers with messages spread round-robin as a load balancer would; the stock bot on one server.
"""

import argparse
import asyncio
import itertools
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Sequence

import aiohttp
import redis

from scripts.stack import (
    MODEL, ROOT, production_env, start_actions, start_rasa, stop, wait_until_up,
)
from scripts.throwaway_postgres import ThrowawayPostgres
from scripts.wait_for_port import free_port

RASA = str(ROOT / ".venv" / "bin" / "rasa")
TRIAGE = [
    "hi",
    "my lower back has been sore",
    "it goes down my left leg",
    "it started suddenly when I was lifting a box",
    "about 3 weeks",
    "7",
    "sitting makes it worse, walking helps",
    "about 9 hours",
    "I started running more for the Comrades",
    "no",
]
# The stock bot's own stories: greet, mood, cheer up, check, goodbye; 10 turns as ours.
STOCK = ["hello", "I am sad", "yes", "great", "bye",
         "hi", "very sad", "no", "I am happy", "goodbye"]


def rss_mb(pid: int) -> List[int]:
    """Resident memory of a server process and of each of its Sanic workers, in MB."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    sizes = []
    for each in pids:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            sizes.append(round(int(match.group(1)) / 1024) if match else 0)
    return sizes


async def converse(session: aiohttp.ClientSession, urls: itertools.cycle, script: Sequence[str],
                   latencies: List[float], errors: List[str], empty: List[str]) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for text in script:
        url = next(urls)
        started = time.perf_counter()
        try:
            async with session.post(f"{url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": text}) as response:
                body = await response.json()
                if response.status != 200:
                    errors.append(f"{response.status} {str(body)[:80]}")
                elif not body:
                    empty.append(text)  # answered, but the bot chose to say nothing
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            errors.append(repr(error))
        latencies.append(time.perf_counter() - started)


async def run_level(urls: List[str], script: Sequence[str], concurrency: int,
                    conversations: int) -> Dict:
    latencies: List[float] = []
    errors: List[str] = []
    empty: List[str] = []
    slots = asyncio.Semaphore(concurrency)
    cycle = itertools.cycle(urls)
    timeout = aiohttp.ClientTimeout(total=300)

    async with aiohttp.ClientSession(timeout=timeout) as session:
        async def one() -> None:
            async with slots:
                await converse(session, cycle, script, latencies, errors, empty)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(conversations)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000

    return {"messages": len(latencies), "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.mean(latencies) * 1000, "throughput": len(latencies) / elapsed,
            "errors": len(errors), "empty": len(empty), "first_error": errors[0] if errors else ""}


def measure(name: str, urls: List[str], pids: List[int], script: Sequence[str],
            levels: Sequence[int]) -> Dict[int, Dict]:
    asyncio.run(run_level(urls, script, 1, 1))  # warm-up: first parse loads lazily
    results = {}
    for concurrency in levels:
        conversations = max(10, 2 * concurrency)  # enough for a steady state at each level
        result = asyncio.run(run_level(urls, script, concurrency, conversations))
        result["rss_mb"] = [rss_mb(pid) for pid in pids]
        results[concurrency] = result
        print(f"  {name:26} c={concurrency:<3} {result['messages']:5} msgs  "
              f"p50 {result['p50']:7.0f} ms  p95 {result['p95']:7.0f} ms  "
              f"p99 {result['p99']:7.0f} ms  {result['throughput']:6.1f} msg/s  "
              f"errors {result['errors']}  empty replies {result['empty']}  "
              f"RSS per server [process, workers...] {result['rss_mb']} MB"
              + (f"  first error: {result['first_error']}" if result["errors"] else ""),
              flush=True)
    return results


def start_and_time(processes: List[subprocess.Popen], urls: List[str], token: str,
                   logs: List[Path]) -> float:
    started = time.monotonic()
    for process, url, log in zip(processes, urls, logs):
        wait_until_up(f"{url}/status?token={token}", process, log)
    return time.monotonic() - started


def base_env(workdir: Path) -> Dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3", "PRACTICE_DB_URL": f"sqlite:///{workdir / 'practice.db'}"}


def bench_ours_single(workdir: Path, token: str, levels: Sequence[int]) -> Dict:
    env = {**base_env(workdir), "TRACKER_DB": str(workdir / "tracker.db")}
    action_port, port = free_port(), free_port()
    env["ACTION_PORT"] = str(action_port)
    actions = start_actions(action_port, env, workdir / "actions-single.log")
    log = workdir / "rasa-single.log"
    started = time.monotonic()
    server = start_rasa(port, token, "endpoints.yml", env, log)
    try:
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, workdir / "actions-single.log")
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/status?token={token}", server, log)
        cold = time.monotonic() - started
        print(f"our bot, one server (SQLite): cold start {cold:.0f} s", flush=True)
        return {"cold_start": cold, "levels": measure("ours, 1 server", [url], [server.pid],
                                                       TRIAGE, levels)}
    finally:
        stop(server, actions)


def bench_ours_production(workdir: Path, token: str, levels: Sequence[int], servers: int,
                          workers: int) -> Dict:
    """Our bot in the production profile: `servers` Rasa servers of `workers` Sanic workers."""
    name = f"ours, {servers} server(s) x {workers} worker(s), PG+Redis"
    database = ThrowawayPostgres()
    prefix = "bench" + uuid.uuid4().hex[:10]
    processes: List[subprocess.Popen] = []
    try:
        database.start()
        database.create_database("tracker")
        action_port = free_port()
        env = {**production_env(database, "tracker", prefix, action_port, workdir),
               "SANIC_WORKERS": str(workers)}
        actions = start_actions(action_port, env, workdir / f"actions-{prefix}.log")
        processes.append(actions)
        ports = [free_port() for _ in range(servers)]
        logs = [workdir / f"rasa-{prefix}-{i}.log" for i in range(servers)]
        for port, log in zip(ports, logs):
            processes.append(start_rasa(port, token, "endpoints.production.yml", env, log))
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions,
                      workdir / f"actions-{prefix}.log")
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        cold = start_and_time(processes[1:], urls, token, logs)
        print(f"{name}: up {cold:.0f} s after start", flush=True)
        return {"levels": measure(name, urls, [p.pid for p in processes[1:]], TRIAGE, levels)}
    finally:
        stop(*reversed(processes))
        database.remove()
        lock_store = redis.StrictRedis(host="127.0.0.1", port=6379, db=1)
        for key in lock_store.scan_iter(f"{prefix}:*"):
            lock_store.delete(key)


def bench_stock(workdir: Path, token: str, levels: Sequence[int]) -> Dict:
    project = workdir / "stock"
    project.mkdir()
    env = base_env(workdir)
    started = time.monotonic()
    # `rasa init` writes the project and trains it: the stock training time.
    subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(project)], cwd=workdir,
                   env=env, check=True, capture_output=True)
    training = time.monotonic() - started
    print(f"stock bot (rasa init): project and training {training:.0f} s", flush=True)
    port = free_port()
    log = workdir / "rasa-stock.log"
    started = time.monotonic()
    server = subprocess.Popen(
        [RASA, "run", "--enable-api", "--auth-token", token, "--port", str(port)],
        cwd=project, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/status?token={token}", server, log)
        cold = time.monotonic() - started
        print(f"stock bot, one server: cold start {cold:.0f} s", flush=True)
        return {"training": training, "cold_start": cold,
                "levels": measure("stock rasa init, 1 server", [url], [server.pid], STOCK, levels)}
    finally:
        stop(server)


def detector_time() -> str:
    run = subprocess.run([sys.executable, "-m", "redflags.evaluate", "tests/data/red_flag_eval.yml"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return next(line for line in run.stdout.splitlines()
                if line.startswith("detector + learned layer"))


def ratios(results: Dict[str, Dict], stock: Dict, levels: Sequence[int]) -> None:
    print("\nratios to the stock bot's one server (targets: throughput >= 1.0 on one server, "
          ">= 1.7 with two workers or two servers; resident memory per server <= 1.3)")
    for name, result in results.items():
        for c in levels:
            ours, base = result["levels"][c], stock["levels"][c]
            server, process = (max(sum(sizes) for sizes in ours["rss_mb"])
                               / max(sum(sizes) for sizes in base["rss_mb"]),
                               max(map(max, ours["rss_mb"])) / max(map(max, base["rss_mb"])))
            print(f"  {name:12} c={c:<3} throughput {ours['throughput'] / base['throughput']:.2f}"
                  f"  memory per server {server:.2f}, per process {process:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,10,50", help="concurrency levels, comma-separated")
    parser.add_argument("--setups", default="one,workers,two",
                        help="ours: one (SQLite), workers (1 server x 2 workers), two (2 servers)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")
    token = secrets.token_urlsafe(16)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"red-flag {detector_time()}", flush=True)
    stock = bench_stock(workdir, token, levels)
    setups = {
        "one": lambda: bench_ours_single(workdir, token, levels),
        "workers": lambda: bench_ours_production(workdir, token, levels, servers=1, workers=2),
        "two": lambda: bench_ours_production(workdir, token, levels, servers=2, workers=1),
    }
    results = {name: setups[name]() for name in args.setups.split(",")}
    ratios(results, stock, levels)
    print("\nour model's training time: not measured here (it would retrain); "
          "`make train` prints it.")
    shutil.rmtree(workdir)  # kept, with the servers' logs, when something failed
    return 0


if __name__ == "__main__":
    sys.exit(main())
