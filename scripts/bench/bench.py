#!/usr/bin/env python3
"""Runs quorum's benchmarks and writes docs/performance.md.

Started by `bash scripts/bench.sh` (which installs and builds first). Every
figure is measured in this one run next to its baseline, on loopback:
the empty unary RPC (grpc.health.v1.Health/Check) through the same load
client, a raw LMDB put+commit loop, and PostgreSQL 15 (initdb/pg_ctl in a
temporary folder) with the same data; and the serving figures again with
quorumd on the PostgreSQL engine, one node and three nodes on one database,
beside LMDB. Each load figure is the median (by throughput) of --runs runs.
No figure here is a test: nothing asserts a time.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEALTH = "/grpc.health.v1.Health/Check"
QUALIFY = "/quorum.v1.QualificationService/QualifyAccount"
GET_ACCOUNT = "/quorum.v1.AccountGraphService/GetAccount"
RECORD = "/quorum.v1.SignalService/RecordSignals"
SUBMIT = "/quorum.v1.IntakeService/SubmitLead"
READINESS = "/quorum.v1.WorkflowService/ListAccountReadiness"
PG_BIN = "/usr/lib/postgresql/15/bin"


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run_json(args, **kwargs):
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True, **kwargs)
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A PostgreSQL 15 cluster in a temporary folder on a loopback port
    (initdb, pg_ctl), trusting local connections as user `bench`."""

    def __init__(self, bench, name):
        self.bench = bench
        self.pgdata = os.path.join(bench.tmp, name)
        self.port = None
        self.user = []

    def start(self):
        self.port = free_port()
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            subprocess.run(["chown", "-R", "postgres", self.bench.tmp], check=True)
            os.chmod(self.bench.tmp, 0o755)
            self.user = ["runuser", "-u", "postgres", "--"]
        subprocess.run(self.user + [f"{PG_BIN}/initdb", "-D", self.pgdata, "-A", "trust",
                                    "-U", "bench", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(self.user + [f"{PG_BIN}/pg_ctl", "-D", self.pgdata, "-w", "-l",
                                    os.path.join(self.pgdata, "log"), "-o",
                                    f"-p {self.port} -k {self.pgdata} "
                                    "-c listen_addresses=127.0.0.1 "
                                    "-c shared_buffers=256MB", "start"],
                       check=True, stdout=subprocess.DEVNULL)
        return self

    def conn(self):
        """psql/pgbench connection options."""
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "bench"]

    def psql(self, db, *args):
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1"] + self.conn()
                       + ["-d", db] + list(args), check=True)

    def create_database(self, name):
        self.psql("postgres", "-c", f"CREATE DATABASE {name}")

    def url(self, db):
        return f"postgresql://bench@127.0.0.1:{self.port}/{db}"

    def postmaster_pid(self):
        with open(os.path.join(self.pgdata, "postmaster.pid")) as f:
            return int(f.readline().strip())

    def stop(self):
        if self.port is not None:
            subprocess.run(self.user + [f"{PG_BIN}/pg_ctl", "-D", self.pgdata, "-m",
                                        "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
            self.port = None


class Quorumd:
    """One quorumd on loopback over a data folder or a PostgreSQL URL."""

    count = 0

    def __init__(self, bench, store):
        self.bench = bench
        self.store = store
        self.proc = None
        self.port = None
        Quorumd.count += 1
        self.name = f"quorumd-{Quorumd.count}"

    def start(self):
        port_file = os.path.join(self.bench.tmp, self.name + ".port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.log = open(os.path.join(self.bench.tmp, self.name + ".log"), "a")
        began = time.monotonic()
        store = (["--store", self.store] if self.store.startswith("postgresql://")
                 else ["--data-dir", self.store])
        self.proc = subprocess.Popen(
            [self.bench.bin("server/quorumd"), "--listen", "127.0.0.1:0"] + store
            + ["--port-file", port_file, "--max-message-bytes", str(64 << 20)],
            stdout=self.log, stderr=self.log)
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise SystemExit("bench: quorumd exited at start; see " + self.log.name)
            time.sleep(0.005)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.target = f"127.0.0.1:{self.port}"
        # SERVING: the first health check that answers.
        while True:
            r = subprocess.run([self.bench.bin("scripts/bench/quorum_load"), "--target",
                                self.target, "--method", HEALTH, "--calls", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                break
        return time.monotonic() - began

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.tmp = tempfile.mkdtemp(prefix="quorum-bench-")
        self.rows = []      # (section, what, figure, baseline, ratio) or other cells
        self.headers = {}   # section -> its columns, when not the four above
        self.details = {}   # raw JSON of every measurement, for the appendix
        self.load_rates = []

    def bin(self, path):
        return os.path.join(self.build, path)

    def gen(self, *args, target=None):
        cmd = [self.bin("scripts/bench/quorum_benchgen")]
        if target:
            cmd += ["--target", target]
        return subprocess.run(cmd + list(args), check=True, stdout=subprocess.PIPE,
                              text=True).stdout

    def requests(self, name, *args):
        path = os.path.join(self.tmp, name + ".req")
        self.gen("requests", "--out", path, *args)
        return path

    def load(self, server, method, requests=None, concurrency=1, calls=None,
             runs=None, duration=None, db_pid=None, tolerate_errors=False):
        """The median run by QPS. `server` is one Quorumd or a list of them:
        calls then go to each in turn, and the CPU time is theirs summed."""
        servers = server if isinstance(server, list) else [server]
        results = []
        for run in range(runs or self.args.runs):
            cmd = [self.bin("scripts/bench/quorum_load"),
                   "--target", ",".join(s.target for s in servers),
                   "--method", method, "--concurrency", str(concurrency),
                   "--server-pid", ",".join(str(s.proc.pid) for s in servers)]
            if db_pid:
                cmd += ["--db-pid", str(db_pid)]
            if requests:
                cmd += ["--requests", requests]
            if calls:
                cmd += ["--calls", str(calls)]
            else:
                cmd += ["--duration", str(duration or self.args.duration),
                        "--warmup", str(self.args.warmup)]
            r = run_json(cmd)
            if r["errors"] and not tolerate_errors:
                raise SystemExit(f"bench: {method} failed: {r.get('first_error')}")
            results.append(r)
        results.sort(key=lambda r: r["qps"])
        return results[len(results) // 2]

    def interleaved(self, measures):
        """Runs each measurement once per round, round after round, and keeps
        each one's median (by its "rate"): a figure and its baseline then
        see the same moments of a noisy machine."""
        results = {name: [] for name in measures}
        for _ in range(self.args.runs):
            for name, measure in measures.items():
                results[name].append(measure())
        out = {}
        for name, rs in results.items():
            rs.sort(key=lambda r: r.get("qps", r.get("records_per_second", 0)))
            out[name] = rs[len(rs) // 2]
        return out

    def row(self, section, *cells):
        self.rows.append((section,) + cells)
        log(" | ".join(cells))

    # ------------------------------------------------------------ sections

    def serving(self):
        """Server A: the committee tree, ingest and the signal histories."""
        data = os.path.join(self.tmp, "serving-data")
        server = Quorumd(self, data)
        server.start()
        try:
            f = run_json([self.bin("scripts/bench/quorum_benchgen"), "--target",
                          server.target, "tree", "--account", "bench-tree"])
            self.load_rates.append(("committee tree (5 sites, 40 people, 500 signals)", f))
            f = run_json([self.bin("scripts/bench/quorum_benchgen"), "--target",
                          server.target, "accounts", "--from", "1", "--to", "101"])
            self.load_rates.append(("100 small accounts", f))

            get_req = self.requests("get", "--kind", "get-account", "--accounts",
                                    "bench-tree")
            tree_req = self.requests("qualify-tree", "--kind", "qualify",
                                     "--accounts", "bench-tree")
            m = self.interleaved({
                "empty1": lambda: self.load(server, HEALTH, concurrency=1, runs=1),
                "qualify1": lambda: self.load(server, QUALIFY, tree_req, concurrency=1,
                                              runs=1),
                "empty8": lambda: self.load(server, HEALTH, concurrency=8, runs=1),
                "qualify8": lambda: self.load(server, QUALIFY, tree_req, concurrency=8,
                                              runs=1),
                "get8": lambda: self.load(server, GET_ACCOUNT, get_req, concurrency=8,
                                          runs=1),
            })
            empty = {1: m["empty1"], 8: m["empty8"]}
            qualify = {1: m["qualify1"], 8: m["qualify8"]}
            get = m["get8"]
            self.details["empty"] = empty
            self.details["get_account"] = get
            self.details["qualify_tree"] = qualify

            s = "Verdicts vs the empty RPC (committee tree: 5 sites, 40 stakeholders, 500 signals)"
            for c in (1, 8):
                e, q = empty[c], qualify[c]
                self.row(s, f"Health/Check (empty RPC), concurrency {c}",
                         f"{e['qps']:,.0f} QPS, p50 {ms(e['p50_us'])}, p99 {ms(e['p99_us'])}",
                         "baseline", "1x")
                self.row(s, f"QualifyAccount, concurrency {c}",
                         f"{q['qps']:,.0f} QPS, p50 {ms(q['p50_us'])}, p99 {ms(q['p99_us'])}",
                         f"{e['qps']:,.0f} QPS", ratio(q["qps"], e["qps"]))
                self.row(s, f"QualifyAccount server CPU per call, concurrency {c}",
                         f"{q['server_cpu_us_per_call']:,.0f} us",
                         f"{e['server_cpu_us_per_call']:,.0f} us",
                         ratio(q["server_cpu_us_per_call"], e["server_cpu_us_per_call"]))
            self.row(s, "QualifyAccount verdict size", f"{qualify[1]['response_bytes']:,.0f} bytes",
                     f"{empty[1]['response_bytes']:,.0f} bytes", "")
            self.row(s, "GetAccount, concurrency 8",
                     f"{get['qps']:,.0f} QPS, p50 {ms(get['p50_us'])}, p99 {ms(get['p99_us'])}",
                     f"{empty[8]['qps']:,.0f} QPS", ratio(get["qps"], empty[8]["qps"]))

            self.ingest(server)
            self.histories(server)
        finally:
            server.stop()

    def ingest(self, server):
        value_bytes = self.signal_bytes()

        def raw_loop(batch, index):
            d = tempfile.mkdtemp(dir=self.tmp)
            records = self.args.raw_records * (20 if batch > 1 else 1)
            cmd = [self.bin("scripts/bench/quorum_bench_lmdb"), "--dir", d,
                   "--batch", str(batch), "--value-bytes", str(value_bytes),
                   "--records", str(records), "--warmup-records", str(records // 10)]
            if index:
                cmd.append("--index")
            try:
                return run_json(cmd)
            finally:
                shutil.rmtree(d)

        ids = ",".join(f"acct-{i:06d}" for i in range(1, 101))
        x100_req = self.requests("record100", "--kind", "record-signals", "--accounts",
                                 ids, "--batch", "100", "--count", "200")
        x1_req = self.requests("record1", "--kind", "record-signals", "--accounts", ids,
                               "--batch", "1", "--count", "2000")
        leads = self.args.leads
        lead_round = [0]

        def submit():
            lead_round[0] += 1
            req = self.requests(f"leads{lead_round[0]}", "--kind", "submit-lead",
                                "--from", str(1 + lead_round[0] * leads),
                                "--count", str(leads))
            return self.load(server, SUBMIT, req, concurrency=8, calls=leads, runs=1)

        m = self.interleaved({
            "raw1": lambda: raw_loop(1, False),
            "raw1i": lambda: raw_loop(1, True),
            "x1": lambda: self.load(server, RECORD, x1_req, concurrency=8, runs=1),
            "submit": submit,
            "raw100": lambda: raw_loop(100, False),
            "raw100i": lambda: raw_loop(100, True),
            "x100": lambda: self.load(server, RECORD, x100_req, concurrency=8, runs=1),
        })
        raw = {(1, False): m["raw1"], (1, True): m["raw1i"], (100, False): m["raw100"],
               (100, True): m["raw100i"]}
        x1, x100, submit = m["x1"], m["x100"], m["submit"]
        self.details["raw_lmdb"] = {f"batch {b}{' +index' if i else ''}": r
                                    for (b, i), r in raw.items()}
        self.details["ingest"] = {"record_x100": x100, "record_x1": x1,
                                  "submit_lead": submit}
        s = "Durable writes vs a raw LMDB loop (same value size and batching, one commit per batch)"
        for b in (1, 100):
            for i in (False, True):
                r = raw[(b, i)]
                self.row(s, f"raw LMDB, batches of {b}{', +1 index put per record' if i else ''}",
                         f"{r['records_per_second']:,.0f} records/s", "baseline", "1x")
        self.row(s, "RecordSignals, batches of 100 across 100 accounts, concurrency 8",
                 f"{x100['qps'] * 100:,.0f} signals/s",
                 f"{raw[(100, True)]['records_per_second']:,.0f} records/s (raw, batch 100, +index)",
                 ratio(x100["qps"] * 100, raw[(100, True)]["records_per_second"]))
        self.row(s, "RecordSignals, one signal a call, concurrency 8",
                 f"{x1['qps']:,.0f} signals/s",
                 f"{raw[(1, True)]['records_per_second']:,.0f} records/s (raw, batch 1, +index)",
                 ratio(x1["qps"], raw[(1, True)]["records_per_second"]))
        self.row(s, "SubmitLead (new account + stakeholder + signal), concurrency 8",
                 f"{submit['qps']:,.0f} leads/s",
                 f"{raw[(1, True)]['records_per_second']:,.0f} records/s (raw, batch 1, +index)",
                 ratio(submit["qps"], raw[(1, True)]["records_per_second"]))

    def signal_bytes(self):
        """The size of a Signal as the store keeps it."""
        return int(self.gen("signal-bytes").strip())

    def histories(self, server):
        """Verdicts on `hist-N`, which nothing writes to; writes on `hist-N-w`
        (the same N signals), bounded to --history-writes calls a run so that
        the account grows little while it is measured."""
        sizes = self.args.history
        for n in sizes:
            for suffix in ("", "-w"):
                f = run_json([self.bin("scripts/bench/quorum_benchgen"), "--target",
                              server.target, "history", "--account", f"hist-{n}{suffix}",
                              "--count", str(n)])
            self.load_rates.append((f"one account with {n:,} signals (twice)", f))
        s = ("Cost on one account as its history grows (concurrency 1; each write run adds "
             f"{self.args.history_writes} signals to the written account)")
        measures = {}
        for n in sizes:
            write_req = self.requests(f"hist-write-{n}", "--kind", "record-signals",
                                      "--accounts", f"hist-{n}-w", "--batch", "1",
                                      "--count", str(self.args.history_writes))
            verdict_req = self.requests(f"hist-verdict-{n}", "--kind", "qualify",
                                        "--accounts", f"hist-{n}")
            measures[("write", n)] = (lambda r=write_req: self.load(
                server, RECORD, r, concurrency=1, calls=self.args.history_writes, runs=1))
            measures[("verdict", n)] = (lambda r=verdict_req: self.load(
                server, QUALIFY, r, concurrency=1, runs=1))
        m = self.interleaved(measures)
        self.details["history"] = {n: {"write": m[("write", n)],
                                       "verdict": m[("verdict", n)]} for n in sizes}
        base_write, base_verdict = m[("write", sizes[0])], m[("verdict", sizes[0])]
        for n in sizes:
            write, verdict = m[("write", n)], m[("verdict", n)]
            self.row(s, f"one more signal, account with {n:,} signals",
                     f"p50 {ms(write['p50_us'])}", f"p50 {ms(base_write['p50_us'])} at {sizes[0]}",
                     ratio(write["p50_us"], base_write["p50_us"]))
            self.row(s, f"QualifyAccount, account with {n:,} signals",
                     f"p50 {ms(verdict['p50_us'])}, {verdict['response_bytes']:,.0f} bytes",
                     f"p50 {ms(base_verdict['p50_us'])} at {sizes[0]}",
                     ratio(verdict["p50_us"], base_verdict["p50_us"]))

    def scale(self):
        """Server B: 1k, 10k, 100k small accounts; PostgreSQL at 10k."""
        data = os.path.join(self.tmp, "scale-data")
        server = Quorumd(self, data)
        server.start()
        loaded = 1
        base = {}
        s = "Per-account queries as the number of accounts grows"
        self.details["scale"] = {}
        try:
            for n in self.args.scale:
                f = run_json([self.bin("scripts/bench/quorum_benchgen"), "--target",
                              server.target, "accounts", "--from", str(loaded),
                              "--to", str(n + 1)])
                self.load_rates.append((f"small accounts {loaded:,}..{n:,}", f))
                loaded = n + 1
                server.stop()
                started = server.start()
                rss_cold = server.rss_mib()
                figures = {
                    "first page": self.load(server, READINESS, self.requests(
                        f"ready-{n}", "--kind", "readiness"), concurrency=1),
                    "country DE": self.load(server, READINESS, self.requests(
                        f"ready-de-{n}", "--kind", "readiness", "--country", "DE"),
                        concurrency=1),
                    "country DE, readiness >= 40": self.load(server, READINESS, self.requests(
                        f"ready-de40-{n}", "--kind", "readiness", "--country", "DE",
                        "--min-readiness", "40"), concurrency=1),
                }
                qreq = self.requests(f"qualify-{n}", "--kind", "qualify", "--from", "1",
                                     "--to", str(n + 1))
                qualify = self.load(server, QUALIFY, qreq, concurrency=8)
                rss_warm = server.rss_mib()
                self.details["scale"][n] = dict(figures, qualify=qualify,
                                                start_seconds=started,
                                                rss_cold_mib=rss_cold,
                                                rss_after_mib=rss_warm)
                if not base:
                    base = dict(figures, qualify=qualify, start=started, rss=rss_cold)
                for k, v in figures.items():
                    self.row(s, f"ListAccountReadiness, {k}, page of 50, {n:,} accounts",
                             f"p50 {ms(v['p50_us'])}",
                             f"p50 {ms(base[k]['p50_us'])} at {self.args.scale[0]:,}",
                             ratio(v["p50_us"], base[k]["p50_us"]))
                self.row(s, f"QualifyAccount over all accounts, concurrency 8, {n:,} accounts",
                         f"{qualify['qps']:,.0f} QPS, p50 {ms(qualify['p50_us'])}",
                         f"{base['qualify']['qps']:,.0f} QPS at {self.args.scale[0]:,}",
                         ratio(qualify["qps"], base["qualify"]["qps"]))
                self.row(s, f"start to SERVING, {n:,} accounts", f"{started:.2f} s",
                         f"{base['start']:.2f} s at {self.args.scale[0]:,}", "")
                self.row(s, f"RSS after start / after the QualifyAccount run, {n:,} accounts",
                         f"{rss_cold:,.0f} / {rss_warm:,.0f} MiB",
                         f"{base['rss']:,.0f} MiB at {self.args.scale[0]:,}", "")
                if n == self.args.pg_accounts:
                    self.postgres(server, n, qreq)
        finally:
            server.stop()

    def postgres(self, server, n, qualify_requests):
        """The same n accounts in PostgreSQL; QualifyAccount vs the SQL."""
        csv_dir = os.path.join(self.tmp, "csv")
        os.makedirs(csv_dir)
        self.gen("csv", "--from", "1", "--to", str(n + 1), "--dir", csv_dir)
        cluster = PgCluster(self, "pgdata")
        try:
            cluster.start()
            port, conn = cluster.port, cluster.conn()
            psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1"] + conn
            cluster.create_database("bench")
            here = os.path.join(ROOT, "scripts/bench/pg")
            subprocess.run(psql + ["-d", "bench", "-f", os.path.join(here, "schema.sql")],
                           check=True)
            began = time.monotonic()
            for table in ("params", "accounts", "sites", "stakeholders", "roles", "signals",
                          "weights", "requirements", "served", "facilities"):
                path = os.path.join(csv_dir, ("stakeholders" if table == "stakeholders"
                                              else table) + ".csv")
                subprocess.run(psql + ["-d", "bench", "-c",
                                       f"\\copy {table} FROM '{path}' WITH (FORMAT csv)"],
                               check=True)
            subprocess.run(psql + ["-d", "bench", "-f", os.path.join(here, "indexes.sql")],
                           check=True)
            self.load_rates.append((f"PostgreSQL, {n:,} accounts by COPY",
                                    {"seconds": time.monotonic() - began}))
            verdict_sql = os.path.join(self.tmp, "verdict.sql")
            with open(os.path.join(here, "verdict.sql")) as f:
                text = f.read().replace("random(1, 10000)", f"random(1, {n})")
            with open(verdict_sql, "w") as f:
                f.write(text)
            agree = run_json([self.bin("scripts/bench/quorum_benchgen"), "--target",
                              server.target, "pgcheck", "--pg",
                              f"host=127.0.0.1 port={port} user=bench dbname=bench",
                              "--sql", verdict_sql, "--from", "1", "--to", str(n + 1),
                              "--sample", "200"])
            self.details["pg_agreement"] = agree

            def pgbench():
                out = subprocess.run(
                    ["pgbench", "-n", "-M", "prepared", "-c", "8", "-j", "2", "-T",
                     str(max(1, round(self.args.duration))), "-f", verdict_sql] + conn
                    + ["bench"],
                    check=True, stdout=subprocess.PIPE, text=True).stdout
                tps = [l for l in out.splitlines() if l.startswith("tps")]
                lat = [l for l in out.splitlines() if l.startswith("latency average")]
                return {"qps": float(tps[0].split()[2]),
                        "latency": lat[0].split("=")[-1].strip() if lat else ""}

            m = self.interleaved({
                "pgbench": pgbench,
                "quorum": lambda: self.load(server, QUALIFY, qualify_requests,
                                            concurrency=8, runs=1),
            })
            tps, lat, quorum = m["pgbench"]["qps"], m["pgbench"]["latency"], m["quorum"]
            self.details["pg"] = {"pgbench_tps": tps, "pgbench_latency": lat,
                                  "qualify": quorum}
            s = f"QualifyAccount vs PostgreSQL 15 ({n:,} accounts, concurrency 8)"
            self.row(s, "PostgreSQL: verdict inputs in SQL (pgbench, prepared)",
                     f"{tps:,.0f} TPS, mean latency {lat}", "baseline", "1x")
            self.row(s, "QualifyAccount, whole verdict, random accounts",
                     f"{quorum['qps']:,.0f} QPS, p50 {ms(quorum['p50_us'])}",
                     f"{tps:,.0f} TPS", ratio(quorum["qps"], tps))
            self.row(s, "SQL agrees with QualifyAccount (score, coverage, fit)",
                     f"{agree['agreed']} of {agree['checked']} sampled accounts",
                     f"fit PASS {agree['fit_pass']}, FAIL {agree['fit_fail']}, "
                     f"UNKNOWN {agree['fit_unknown']}", "")
        finally:
            cluster.stop()

    def engines(self):
        """The serving figures on LMDB (one node) and on the PostgreSQL engine
        with one quorumd node and with three on one database. Every node is up
        for the whole section and the measurements take turns, round after
        round (see interleaved), so each figure sits beside LMDB's at the same
        moments of the machine."""
        cluster = PgCluster(self, "pg-engine")
        configs = []
        n = self.args.engine_accounts
        try:
            cluster.start()
            cluster.create_database("quorum1")
            cluster.create_database("quorum3")
            pm = cluster.postmaster_pid()
            configs = [
                ("LMDB", "1", [Quorumd(self, os.path.join(self.tmp, "engines-lmdb"))], None),
                ("PostgreSQL", "1", [Quorumd(self, cluster.url("quorum1"))], pm),
                ("PostgreSQL", "3", [Quorumd(self, cluster.url("quorum3"))
                                     for _ in range(3)], pm),
            ]
            for _, _, nodes, _ in configs:
                for node in nodes:
                    node.start()
            for engine, count, nodes, _ in configs:
                at = f"{engine}, {count} node{'s' if count != '1' else ''}"
                f = run_json([self.bin("scripts/bench/quorum_benchgen"), "--target",
                              nodes[0].target, "tree", "--account", "bench-tree"])
                self.load_rates.append((f"{at}: committee tree", f))
                f = run_json([self.bin("scripts/bench/quorum_benchgen"), "--target",
                              nodes[0].target, "accounts", "--from", "1",
                              "--to", str(max(n, 100) + 1)])
                self.load_rates.append((f"{at}: {max(n, 100):,} small accounts", f))

            ids = ",".join(f"acct-{i:06d}" for i in range(1, 101))
            figures = [
                ("empty1", "Health/Check (empty RPC), concurrency 1", HEALTH, None, 1),
                ("qualify1", "QualifyAccount, committee tree, concurrency 1", QUALIFY,
                 self.requests("eng-qualify-tree", "--kind", "qualify", "--accounts",
                               "bench-tree"), 1),
                ("empty8", "Health/Check (empty RPC), concurrency 8", HEALTH, None, 8),
                ("qualify8", "QualifyAccount, committee tree, concurrency 8", QUALIFY,
                 self.requests("eng-qualify-tree", "--kind", "qualify", "--accounts",
                               "bench-tree"), 8),
                ("get8", "GetAccount, committee tree root, concurrency 8", GET_ACCOUNT,
                 self.requests("eng-get", "--kind", "get-account", "--accounts",
                               "bench-tree"), 8),
                ("x1", "RecordSignals, one signal a call across 100 accounts, "
                 "concurrency 8", RECORD,
                 self.requests("eng-record1", "--kind", "record-signals", "--accounts",
                               ids, "--batch", "1", "--count", "2000"), 8),
                ("x100", "RecordSignals, batches of 100 across 100 accounts, "
                 "concurrency 8", RECORD,
                 self.requests("eng-record100", "--kind", "record-signals", "--accounts",
                               ids, "--batch", "100", "--count", "200"), 8),
            ]
            if n:
                figures += [
                    ("qall8", f"QualifyAccount, random accounts of {n:,}, concurrency 8",
                     QUALIFY, self.requests("eng-qualify-all", "--kind", "qualify",
                                            "--from", "1", "--to", str(n + 1)), 8),
                    ("ready1", f"ListAccountReadiness, country DE, page of 50, {n:,} "
                     "accounts, concurrency 1", READINESS,
                     self.requests("eng-ready-de", "--kind", "readiness", "--country",
                                   "DE"), 1),
                ]
            measures = {}
            for key, _, method, req, c in figures:
                for i, (_, _, nodes, db) in enumerate(configs):
                    measures[(key, i)] = (
                        lambda nodes=nodes, db=db, method=method, req=req, c=c: self.load(
                            nodes, method, req, concurrency=c, runs=1,
                            duration=self.args.engine_duration, db_pid=db,
                            tolerate_errors=True))
            m = self.interleaved(measures)
        finally:
            for _, _, nodes, _ in configs:
                for node in nodes:
                    node.stop()
            cluster.stop()

        self.details["engines"] = {f"{key} {configs[i][0]} x{configs[i][1]}": r
                                   for (key, i), r in m.items()}
        s = "Storage engines: LMDB vs PostgreSQL, 1 and 3 nodes"
        self.headers[s] = ["what", "engine", "nodes", "figure",
                           "CPU per call (quorumd + PostgreSQL)", "vs LMDB",
                           "vs empty RPC"]
        for key, what, _, _, c in figures:
            per = 100 if key == "x100" else 1
            unit = "signals/s" if key.startswith("x") else "QPS"
            for i, (engine, count, _, db) in enumerate(configs):
                r, lmdb = m[(key, i)], m[(key, 0)]
                empty = m[(f"empty{c}", i)]
                figure = (f"{r['qps'] * per:,.0f} {unit}, p50 {ms(r['p50_us'])}, "
                          f"p99 {ms(r['p99_us'])}")
                if r["errors"]:
                    figure += f", {r['errors']:,} errors ({r.get('first_error', '')})"
                cpu = f"{r.get('server_cpu_us_per_call', 0):,.0f} us"
                if db:
                    cpu += f" + {r.get('db_cpu_us_per_call', 0):,.0f} us"
                self.row(s, what, engine, count, figure, cpu,
                         "1x" if i == 0 else ratio(r["qps"], lmdb["qps"]),
                         "1x" if key.startswith("empty") else ratio(r["qps"], empty["qps"]))

    def micro(self):
        out = subprocess.run([self.bin("scripts/bench/quorum_micro_rules"),
                              "--benchmark_format=json",
                              f"--benchmark_min_time={self.args.micro_seconds}"],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        self.micro_results = [b for b in json.loads(out)["benchmarks"]
                              if b.get("run_type", "iteration") == "iteration"]

    # --------------------------------------------------------------- report

    def report(self, command, began):
        load = os.getloadavg()
        rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             stdout=subprocess.PIPE, text=True).stdout.strip()
        lines = [
            f"Command: `{command}`  ",
            f"Run: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit `{rev}`, "
            f"{os.cpu_count()} cores, load average {load[0]:.2f} / {load[1]:.2f} / "
            f"{load[2]:.2f} (1 / 5 / 15 min) at the end, "
            f"{time.monotonic() - began:,.0f} s in all; medians of {self.args.runs} runs "
            f"of {self.args.duration:g} s (after {self.args.warmup:g} s of warm-up) unless "
            "a count is given"
            + (f" (the storage engines: runs of {self.args.engine_duration:g} s)."
               if "engines" in self.details else "."),
            "",
        ]
        section = None
        first = {}
        for i, row in enumerate(self.rows):
            first.setdefault(row[0], i)
        rows = sorted(self.rows, key=lambda row: first[row[0]])  # stable
        for sec, *cells in rows:
            if sec != section:
                header = self.headers.get(sec, ["what", "figure", "baseline", "ratio"])
                lines += ["", f"#### {sec}", "", "| " + " | ".join(header) + " |",
                          "|" + "---|" * len(header)]
                section = sec
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "#### Loading through the public API (ImportRecords, "
                  "CreateRelationship, StreamSignals)", "",
                  "| dataset | records | records/s | signals | signals/s |",
                  "|---|---|---|---|---|"]
        for what, f in self.load_rates:
            if "records" in f:
                lines.append(f"| {what} | {f['records']:,} | {f['records_per_second']:,.0f} | "
                             f"{f['signals']:,} | {f['signals_per_second']:,.0f} |")
            else:
                lines.append(f"| {what} | | {f['seconds']:.1f} s in all | | |")
        if getattr(self, "micro_results", None):
            lines += ["", "#### Micro-benchmarks of the pure rules (Google Benchmark)", "",
                      "| benchmark | time per call | verdict bytes |", "|---|---|---|"]
            for b in self.micro_results:
                unit = b.get("time_unit", "ns")
                vb = b.get("verdict_bytes")
                lines.append(f"| {b['name']} | {b['real_time']:,.1f} {unit} | "
                             f"{'' if vb is None else f'{vb:,.0f}'} |")
        table = "\n".join(lines) + "\n"
        print(table)
        doc = os.path.join(ROOT, "docs", "performance.md")
        begin = f"<!-- bench:{self.args.section}:begin -->"
        end = f"<!-- bench:{self.args.section}:end -->"
        with open(doc) as f:
            text = f.read()
        if begin not in text or end not in text:
            raise SystemExit(f"bench: {doc} lacks the {begin} / {end} markers")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        with open(doc, "w") as f:
            f.write(head + begin + "\n" + table + end + tail)
        details = os.path.join(self.build, "bench-details.json")
        with open(details, "w") as f:
            json.dump(self.details, f, indent=1, default=str)
        log(f"wrote {doc}; raw figures in {details}")


def ms(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} us"


def ratio(value, baseline):
    if not baseline:
        return ""
    r = value / baseline
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x" if r < 10 else f"{r:.1f}x"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--scale", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1000, 10000, 100000])
    p.add_argument("--history", type=lambda s: [int(x) for x in s.split(",")],
                   default=[5, 1000, 10000, 50000])
    p.add_argument("--pg-accounts", type=int, default=10000)
    p.add_argument("--leads", type=int, default=1000)
    p.add_argument("--history-writes", type=int, default=50)
    p.add_argument("--raw-records", type=int, default=2000)
    p.add_argument("--micro-seconds", type=float, default=0.5)
    p.add_argument("--engine-duration", type=float, default=3,
                   help="Seconds per measurement in the engines section")
    p.add_argument("--engine-accounts", type=int, default=10000,
                   help="Small accounts loaded on each engine for the per-account "
                   "queries (0 skips them)")
    p.add_argument("--only", choices=["serving", "engines", "scale", "micro"],
                   action="append", help="Run only these sections (the default is all)")
    p.add_argument("--section", default=None,
                   help="Which results section of docs/performance.md to rewrite "
                   "(between <!-- bench:SECTION:begin/end --> markers; the default is "
                   "`engines` for --only engines, else `latest`)")
    p.add_argument("--command", default="bash scripts/bench.sh",
                   help="The command line to quote in docs/performance.md")
    args = p.parse_args()
    if args.section is None:
        args.section = "engines" if args.only == ["engines"] else "latest"
    bench = Bench(args)
    began = time.monotonic()
    sections = args.only or ["serving", "engines", "scale", "micro"]
    try:
        if "serving" in sections:
            bench.serving()
        if "engines" in sections:
            bench.engines()
        if "scale" in sections:
            bench.scale()
        if "micro" in sections:
            bench.micro()
        bench.report(args.command, began)
    finally:
        if not args.only:
            shutil.rmtree(bench.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
