"""`make loadtest` (or `python -m loadtest`): the production stack on loopback under Locust.

Starts gunicorn with config/gunicorn.conf.py (loopback production settings), a throwaway
PostgreSQL database, Redis (a db index of its own), one Celery worker (all queues); seeds the data;
runs each scenario headless, bounded in users and time, only against 127.0.0.1; measures the
/healthz floor on the same stack at the same concurrency; checks the submits' integrity; prints
the table; stops everything and drops the database.

On a shared machine absolute figures move with what else runs: the ratios to the /healthz floor
of the same run are what to compare. Environment: LOADTEST_PORT (8170), LOADTEST_REDIS
(default: a private redis-server on LOADTEST_REDIS_PORT, 6380), LOADTEST_POSTGRES (postgres://postgres@127.0.0.1:5432),
LOADTEST_WORKERS (gunicorn workers, 4), LOADTEST_SECONDS (scale of every run, 1.0),
LOADTEST_QUEUE_CLAIMS (100000), LOADTEST_ONLY (comma-separated words: run only the scenarios whose
name contains one of them, e.g. "outage,mixed").

Besides the server's CPU (gunicorn, worker, Redis, the PostgreSQL backends) it measures Locust's own
CPU and what the rest of the machine used meanwhile (all busy CPU from /proc/stat minus both), so a
run on a busy machine says so.
"""

import csv
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("LOADTEST_PORT", "8170"))
HOST = f"http://127.0.0.1:{PORT}"
# A private redis-server of our own (no persistence) when the binary is there, else a db index.
REDIS_PORT = int(os.environ.get("LOADTEST_REDIS_PORT", "6380"))
OWN_REDIS = shutil.which("redis-server") and not os.environ.get("LOADTEST_REDIS")
REDIS = (
    f"redis://127.0.0.1:{REDIS_PORT}/0" if OWN_REDIS else os.environ.get("LOADTEST_REDIS", "redis://127.0.0.1:6379/7")
)
POSTGRES = os.environ.get("LOADTEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
WORKERS = int(os.environ.get("LOADTEST_WORKERS", "4"))
SCALE = float(os.environ.get("LOADTEST_SECONDS", "1.0"))
QUEUE_CLAIMS = int(os.environ.get("LOADTEST_QUEUE_CLAIMS", "100000"))
ACCOUNTS = 300
INCIDENTS = 60
OUTAGE_ACCOUNTS = int(os.environ.get("LOADTEST_OUTAGE_ACCOUNTS", "6000"))  # one claim each
ONLY = [word.strip() for word in os.environ.get("LOADTEST_ONLY", "").split(",") if word.strip()]

# name, Locust user classes, users, seconds, account slice for claim filers (outage claimants for
# OutageSubmitter: each files once, nine in ten under the incident that just happened)
SCENARIOS = [
    ("public notice page", ["NoticeReader"], 100, 20, None),
    ("sign in (form + POST, production password hasher)", ["SignIn"], 10, 15, "200:300"),
    ("file a claim, each user under all 60 incidents (cold form cache)", ["Submitter"], 50, 20, "0:50"),
    ("file a claim, outage morning (form + POST, one 30 KB PNG)", ["OutageSubmitter"], 50, 30, "o:0:0.75"),
    ("my claims + claim page", ["PortalReader"], 50, 20, None),
    ("mixed outage profile (70/20/10)", ["NoticeReader", "PortalReader", "OutageSubmitter"], 100, 30, "o:0.75:1"),
    ("agent: queue + case page at 100,000 claims", ["Agent"], 10, 20, None),
]
TODAY = {  # the figures in issue #17, before this work, same machine
    "public notice page": "~100 req/s, p99 1.1 s",
    "file a claim, outage morning (form + POST, one 30 KB PNG)": "~27 claims/s, p99 1.0 s",
    "mixed outage profile (70/20/10)": "~7 claims/s + 55 notices/s",
}


def log(message):
    print(message, flush=True)


def wait_redis():
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
            return
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Stack:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="oc-loadtest-"))
        self.database = f"oc_loadtest_{os.getpid()}"
        self.processes = []
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")},
            "DJANGO_SETTINGS_MODULE": "config.settings.loopback",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{POSTGRES}/{self.database}",
            "REDIS_URL": REDIS,
            "CELERY_BROKER_URL": REDIS,
            "EMAIL_URL": "dummymail://",
            "VAR_DIR": str(self.tmp),
            "PRIVATE_MEDIA_ROOT": str(self.tmp / "private"),
            "LOG_LEVEL": "WARNING",
            "GUNICORN_BIND": f"127.0.0.1:{PORT}",
            "GUNICORN_WORKERS": str(WORKERS),
            "GUNICORN_ACCESSLOG": "",
            # No worker recycling during the run: a recycled worker takes its CPU seconds with it, and
            # the per-scenario CPU (measured per process) went negative when one did (the /healthz
            # floors alone send ~100,000 requests, beyond the 20,000 of `max_requests`).
            "GUNICORN_MAX_REQUESTS": "0",
            "PYTHONUNBUFFERED": "1",
        }

    def cpu_by_part(self):
        """CPU seconds used so far by the server side, per part: gunicorn, the worker, our Redis and the
        PostgreSQL backends serving our database (persistent connections: they live on)."""
        import psutil

        def used(pids):
            total = 0.0
            for pid in pids:
                try:
                    times = psutil.Process(pid).cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += times.user + times.system
            return total

        parts = {}
        for name, process in self.processes:
            try:
                parent = psutil.Process(process.pid)
                pids = [parent.pid, *(child.pid for child in parent.children(recursive=True))]
            except psutil.NoSuchProcess:
                continue
            parts[name] = used(pids)
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]).fetchall()
        parts["postgres"] = used(pid for (pid,) in rows)
        return parts

    def admin(self, sql):
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def flush_redis(self):
        import redis

        redis.Redis.from_url(REDIS).flushdb()

    def start(self, name, args):
        out = open(self.tmp / f"{name}.log", "ab")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def run_child(self, module, *args, timeout=1800):
        done = subprocess.run(
            [sys.executable, "-m", module, *map(str, args)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{module} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def up(self):
        if OWN_REDIS:
            self.start(
                "redis",
                ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            )
            wait_redis()
        self.admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.admin(f'CREATE DATABASE "{self.database}"')
        self.flush_redis()
        log(f"  seeding {ACCOUNTS} accounts, {INCIDENTS} open incidents, {QUEUE_CLAIMS:,} queue claims …")
        started = time.monotonic()
        plan = self.run_child("loadtest.seed", ACCOUNTS, INCIDENTS, QUEUE_CLAIMS, OUTAGE_ACCOUNTS)
        log(f"  seeded in {time.monotonic() - started:.0f} s")
        (self.tmp / "plan.json").write_text(json.dumps(plan))
        self.start(
            "gunicorn", [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "--no-control-socket", "config.wsgi"]
        )
        self.start(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "--concurrency=1", "--pool=solo", "-l", "WARNING"],
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{HOST}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not answer /healthz:\n" + (self.tmp / "gunicorn.log").read_text()[-3000:])
        return plan

    def down(self, keep_logs=False):
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        try:
            self.admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            if not OWN_REDIS:
                self.flush_redis()
        finally:
            if not keep_logs:
                shutil.rmtree(self.tmp, ignore_errors=True)


def account_slices(accounts):
    """The environment naming this run's accounts: "start:end" of the 300, or "o:from:to" as shares
    of the outage claimants (disjoint between scenarios: each of them files once)."""
    if not accounts:
        return {"LOADTEST_ACCOUNTS": "0:50"}
    if not accounts.startswith("o:"):
        return {"LOADTEST_ACCOUNTS": accounts}
    start, end = (int(float(share) * OUTAGE_ACCOUNTS) for share in accounts[2:].split(":"))
    return {"LOADTEST_OUTAGE_SLICE": f"{start}:{end}"}


def busy_cpu_seconds():
    """CPU seconds the whole machine has been busy (all cores, from /proc/stat), None elsewhere."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def locust(stack, name, classes, users, seconds, accounts):
    prefix = stack.tmp / f"locust-{name}"
    env = {
        **os.environ,
        "LOADTEST_PLAN": str(stack.tmp / "plan.json"),
        **account_slices(accounts),
        "LOADTEST_LEDGER": str(stack.tmp / "ledger.txt"),
        "LOADTEST_INTENDED_AT": (datetime.now(ZoneInfo("Asia/Seoul")) - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
    }
    seconds = max(5, int(seconds * SCALE))
    args = [
        str(BIN / "locust"),
        "-f",
        "loadtest/locustfile.py",
        "--headless",
        "--host",
        HOST,
        "-u",
        str(users),
        "-r",
        str(max(10, users)),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        "30",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)
    (stack.tmp / f"locust-{name}.log").write_text(done.stdout + done.stderr)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = row
    return rows, seconds


def read_failures(path):
    try:
        with open(path, newline="") as handle:
            return [
                f"{row['Occurrences']}× {row['Method']} {row['Name']}: {row['Error'][:200]}"
                for row in csv.DictReader(handle)
            ]
    except FileNotFoundError:
        return []


def number(text):
    try:
        return float(text)
    except ValueError:  # "N/A" when nothing was measured
        return 0.0


def figures(row):
    return {
        "count": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": number(row["Requests/s"]),
        "p50": number(row["50%"]),
        "p95": number(row["95%"]),
        "p99": number(row["99%"]),
    }


def main():
    stack = Stack()
    results = []
    integrity = []
    ok = True
    try:
        log("Starting the production stack on 127.0.0.1 …")
        stack.up()
        for name, classes, users, seconds, accounts in SCENARIOS:
            if ONLY and not any(word in name for word in ONLY):
                continue
            log(f"  {name}: {users} users …")
            floor_rows, _ = locust(stack, "floor", ["Healthz"], users, min(seconds, 15), None)
            parts_before, locust_before, busy_before = stack.cpu_by_part(), children_cpu_seconds(), busy_cpu_seconds()
            started = time.monotonic()
            rows, ran = locust(stack, "run", classes, users, seconds, accounts)
            parts = {k: v - parts_before.get(k, 0.0) for k, v in stack.cpu_by_part().items()}
            cpu = sum(parts.values())
            machine = {"locust": children_cpu_seconds() - locust_before, "wall": time.monotonic() - started}
            if busy_before is not None:
                machine["others"] = max(0.0, busy_cpu_seconds() - busy_before - cpu - machine["locust"])
            if "/healthz" not in floor_rows or not int(rows.get("Aggregated", {}).get("Request Count", 0)):
                raise RuntimeError(f"Locust measured nothing; logs in {stack.tmp}")
            floor = figures(floor_rows["/healthz"])
            total = figures(rows["Aggregated"])
            detail = {key: figures(value) for key, value in rows.items() if key != "Aggregated"}
            submits = detail.get("claim submit")
            if submits:
                check = stack.run_child("loadtest.integrity", stack.tmp / "ledger.txt")
                integrity.append((name, check))
                ok &= not check["problems"]
            results.append((name, users, total, detail, floor, ran, cpu, parts, machine))
            failures = read_failures(stack.tmp / "locust-run_failures.csv")
            for line in failures[:5]:
                log(f"    error: {line}")
            ok &= total["failures"] == 0
    except BaseException:
        stack.down(keep_logs=True)
        log(f"logs kept in {stack.tmp}")
        raise
    else:
        stack.down(keep_logs=not ok)
        if not ok:
            log(f"logs kept in {stack.tmp}")
    print_table(results, integrity)
    sys.exit(0 if ok else 1)


def ms(value):
    return f"{value:.0f}"


def print_table(results, integrity):
    print()
    print(
        "| scenario | users | req/s | p50 / p95 / p99 ms | errors | /healthz req/s, same users | floor ÷ it | notes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    sizing = {}
    for name, users, total, detail, floor, ran, cpu, parts, machine in results:
        notes = []
        notes.append(f"server CPU {1000 * cpu / max(1, total['count']):.0f} ms/request")
        notes.append(f"Locust {1000 * machine['locust'] / max(1, total['count']):.0f} ms/request")
        if "others" in machine:
            notes.append(f"other processes used {machine['others'] / machine['wall']:.2f} cores meanwhile")
        if "claim submit" in detail:
            s = detail["claim submit"]
            filed = s["count"] - s["failures"]
            notes.append(
                f"{filed / ran:.1f} claims/s, submit p99 {ms(s['p99'])} ms, {cpu / max(1, filed):.2f} CPU-s/claim"
            )
            sizing[name] = cpu / max(1, filed)
            notes.append(
                "per claim: "
                + ", ".join(f"{part} {1000 * used / max(1, filed):.0f} ms" for part, used in sorted(parts.items()))
                + f"; Locust {1000 * machine['locust'] / max(1, filed):.0f} ms"
            )
        if "sign in" in detail:
            signed = detail["sign in"]["count"] - detail["sign in"]["failures"]
            sizing["sign in"] = cpu / max(1, signed)
            notes.append(f"{cpu / max(1, signed):.2f} CPU-s/sign-in")
        if "notice page" in detail and len(detail) > 1:
            notes.append(f"{detail['notice page']['rps']:.0f} notices/s")
        if name in TODAY:
            notes.append(f"today: {TODAY[name]}")
        ratio = floor["rps"] / total["rps"] if total["rps"] else float("inf")
        print(
            f"| {name} | {users} | {total['rps']:.0f} | {ms(total['p50'])} / {ms(total['p95'])} / {ms(total['p99'])}"
            f" | {total['failures']} | {floor['rps']:.0f} | {ratio:.2f}× | {'; '.join(notes)} |"
        )
    print()
    mixed = next((v for k, v in sizing.items() if k.startswith("mixed")), None)
    if mixed is not None:
        per_claim = mixed + sizing.get("sign in", 0.0)
        print(
            f"Sizing: the mixed profile costs {mixed:.2f} server CPU-s per claim (with its 7 notice views and "
            f"2 portal reads), plus {sizing.get('sign in', 0.0):.2f} for one sign-in = {per_claim:.2f} CPU-s per "
            f"affected user. 100,000 users in the first hour: {28 * per_claim:.1f} cores on average (28 claims/s), "
            f"{55 * per_claim:.1f}–{85 * per_claim:.1f} at the peak (55–85 claims/s), before headroom."
        )
    for name, check in integrity:
        verdict = "OK" if not check["problems"] else "PROBLEMS: " + "; ".join(check["problems"])
        print(
            f"integrity after “{name}”: {check['filed']} submits filed, {check['failed']} refused, "
            f"{check['cut_off_at_stop']} cut off by the stop ({check['cut_off_filed']} of them filed); "
            f"{check['claims']} claims, {check['documents']} documents, {check['files']} files, "
            f"{check['events']} events, {check['outbox']} outbox rows — {verdict}"
        )


if __name__ == "__main__":
    main()
