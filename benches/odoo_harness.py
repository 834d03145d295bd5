"""A throw-away Odoo 18 for benchmarks that time real requests (stdlib only).

What it starts, every piece stopped again by `OdooHarness.__exit__` (an ExitStack), also on an
exception, on SIGTERM/SIGINT/SIGHUP, and when the time budget runs out (SIGALRM):

- its own PostgreSQL cluster (`scripts/pg.sh start DIR PORT`, role `odoo` LOGIN SUPERUSER);
- databases with modules installed (`odoo-bin -i ... --stop-after-init`, demo data by default),
  the project's `odoo_addon` folder on the addons path; optionally cached (pg_dump and
  filestore, keyed by the Odoo tree, the project's addons and the modules) for the next run;
- `odoo-bin shell` scripts that hand a JSON result back (`shell_json`);
- Odoo as a real multi-worker HTTP server on 127.0.0.1 (free ports for HTTP and gevent),
  in its own process group, waited for until `/web/health` answers;
- `JsonRpcClient`: one keep-alive connection and one session per client, logs in through
  `/web/session/authenticate` and calls models through `/web/dataset/call_kw/MODEL/METHOD` as
  the web and POS clients do; each reply timed and classified (ok / refusal / server error /
  transport error).

    with OdooHarness(odoo_path, odoo_python, budget=1800) as harness:
        harness.start_postgres()
        harness.install("bench", ["point_of_sale", "pos_loyalty"])
        ids = harness.shell_json("bench", "RESULT = env.ref('base.user_admin').id")
        server = harness.serve("bench", workers=4)
        client = JsonRpcClient(server.host, server.port)
        client.authenticate("bench", "admin", "admin")
        reply = client.call_kw("res.partner", "search_count", [[]])
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS_DIR = ROOT / "odoo_addon"
PG_SH = ROOT / "scripts" / "pg.sh"

# The exceptions Odoo raises on purpose to refuse a request (a message for the user). Every
# other error name in a JSON-RPC error is a server error: a traceback.
REFUSALS = frozenset({
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.RedirectWarning",
})
RESULT_MARK = "@@ABA_HARNESS_RESULT@@"

# `odoo-bin shell` code every bench's set-up starts with: `P` its parameters, `env` as the
# admin, `config` the demo point of sale.
SETUP_PREAMBLE = r"""
P = PARAMS
admin = env.ref("base.user_admin")
env = env(user=admin)
config = env.ref("point_of_sale.pos_config_main")
"""

# `odoo-bin shell` code the benches share (with `env`, `config` a pos.config and P their
# parameters: earn_rate, prices). BENCH_PROGRAM: the bench's loyalty program, points per money
# spent and a per-point discount reward. BENCH_LOYALTY_PROGRAM: that program alone live (the
# demo's would add their own points and rewards), and tax-free products at P["prices"], so that
# amounts and points are exact.
BENCH_PROGRAM = r"""
program = env["loyalty.program"].create({
    "name": "Bench points",
    "program_type": "loyalty",
    "trigger": "auto",
    "applies_on": "both",
    "pos_ok": True,
    "pos_config_ids": [(6, 0, config.ids)],
    "rule_ids": [(0, 0, {"reward_point_mode": "money", "reward_point_amount": P["earn_rate"],
                         "minimum_qty": 0})],
    "reward_ids": [(0, 0, {"reward_type": "discount", "discount_mode": "per_point",
                           "discount": 1, "discount_applicability": "order",
                           "required_points": 1})],
})
reward = program.reward_ids
"""
BENCH_LOYALTY_PROGRAM = 'env["loyalty.program"].search([]).write({"active": False})\n' + BENCH_PROGRAM + r"""
products = env["product.product"].create([
    {"name": f"Bench item {price}", "type": "consu", "available_in_pos": True,
     "list_price": price, "taxes_id": [(5, 0, 0)]}
    for price in P["prices"]
])
"""


# `odoo-bin shell` code: `config`'s session open and counted in (`session`), and the cash
# payment method the benches pay with (`method`).
OPEN_SESSION = r"""
if not config.current_session_id:
    config.open_ui()
session = config.current_session_id
if session.state == "opening_control":
    session.set_opening_control(0, "")
methods = config.payment_method_ids
method = methods.filtered(lambda m: m.is_cash_count and not m.split_transactions)[:1] or methods[:1]
"""


class HarnessError(RuntimeError):
    """Something the harness started did not come up (the message names its log)."""


class BudgetExceeded(BaseException):
    """The harness's time budget ran out (raised in the main thread by SIGALRM). A
    BaseException, so that no `except Exception` in between swallows it."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, q: float) -> float:
    """Nearest-rank percentile of `values` (q in 0..100); NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def pg_bin(name: str) -> str:
    """A PostgreSQL client program of the server version pg.sh runs (PG_BINDIR or the newest
    /usr/lib/postgresql/*/bin), so that dumps and restores match the cluster."""
    bindir = os.environ.get("PG_BINDIR")
    if not bindir:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                       key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
        bindir = str(found[-1]) if found else ""
    path = Path(bindir) / name
    return str(path) if path.exists() else name


def tree_fingerprint(digest, root: Path, *, contents: bool) -> None:
    """Feed `root`'s files into `digest`: path and size with the contents (`contents`) or the
    modification time (a large tree such as Odoo's; no compiled files)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".git"))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(folder, name)
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0".encode())
            digest.update(path.read_bytes() if contents else str(stat.st_mtime_ns).encode())


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


@dataclass
class Postgres:
    port: int
    directory: Path
    user: str = "odoo"

    def dsn(self, db: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.user}@127.0.0.1:{self.port}/{db}"

    def psql(self, db: str, sql: str, params: dict | None = None, timeout: float = 120,
             user: str | None = None) -> list[list[str]]:
        """Rows of `sql` (tab-separated text fields; NULL as ''). `params` become psql
        variables, referenced as :'name' (quoted literal) in `sql`."""
        cmd = ["psql", self.dsn(db, user), "-X", "-A", "-t", "-q", "-F", "\t",
               "-v", "ON_ERROR_STOP=1"]
        for name, value in (params or {}).items():
            cmd += ["-v", f"{name}={value}"]
        proc = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if proc.returncode:
            raise HarnessError(f"psql failed ({proc.returncode}): {proc.stderr.strip()}\n{sql}")
        return [line.split("\t") for line in proc.stdout.splitlines() if line]


@dataclass
class OdooServer:
    host: str
    port: int
    workers: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM to the server's process group (the master, its workers and its gevent
        process), SIGKILL to what is left after `grace` seconds."""
        pgid = self.process.pid  # started with start_new_session: its own group
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _group_alive(pgid):
                if self.process.poll() is None:
                    try:
                        self.process.wait(timeout=0.2)
                    except subprocess.TimeoutExpired:
                        pass
                else:
                    time.sleep(0.2)
            if not _group_alive(pgid):
                break
        if self.process.poll() is None:
            self.process.wait(timeout=5)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OdooHarness:
    """Context manager owning a work folder, a PostgreSQL cluster and Odoo processes.

    `budget` (seconds, optional): past it, SIGALRM raises BudgetExceeded in the main thread and
    the exit cleans up. `keep`: leave the work folder (logs, cluster files) on disk.
    `addons_dir`: the project's addons folder put on the addons path (default: this
    checkout's odoo_addon; another checkout's to measure its addon with this harness).
    """

    def __init__(self, odoo_path, odoo_python, *, budget: float | None = None,
                 keep: bool = False, addons_dir: Path | str | None = None):
        self.addons_dir = Path(addons_dir).resolve() if addons_dir else ADDONS_DIR
        self.odoo = Path(odoo_path).resolve()
        if not (self.odoo / "odoo-bin").is_file():
            raise HarnessError(f"no odoo-bin in {self.odoo}")
        self.python = str(odoo_python)
        self.budget = budget
        self.keep = keep
        self.stack = ExitStack()
        self.workdir: Path | None = None
        self.pg: Postgres | None = None
        self._old_handlers: dict = {}

    # -- lifetime ------------------------------------------------------------------------------

    def __enter__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="aba-odoo-bench-"))
        # PostgreSQL runs as `postgres` when we are root: it must reach its folder.
        self.workdir.chmod(0o755)
        self.stack.callback(self._remove_workdir)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                self._old_handlers[sig] = signal.signal(sig, self._on_signal)
            if self.budget:
                self._old_handlers[signal.SIGALRM] = signal.signal(signal.SIGALRM,
                                                                   self._on_alarm)
                signal.alarm(max(1, int(self.budget)))
        return self

    def __exit__(self, *exc) -> None:
        if signal.SIGALRM in self._old_handlers:
            signal.alarm(0)
        try:
            self.stack.close()
        finally:
            for sig, handler in self._old_handlers.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum, _frame):
        raise SystemExit(128 + signum)

    def _on_alarm(self, _signum, _frame):
        raise BudgetExceeded(f"time budget of {self.budget:.0f} s exceeded")

    def _remove_workdir(self) -> None:
        if self.keep:
            log(f"harness: work folder kept: {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- PostgreSQL ----------------------------------------------------------------------------

    def start_postgres(self, port: int | None = None) -> Postgres:
        port = port or free_port()
        directory = self.workdir / "pg"
        # Registered first: a start that fails half-way is stopped too (stop is a no-op else).
        self.stack.callback(subprocess.run, ["bash", str(PG_SH), "stop", str(directory)],
                            timeout=120, check=False)
        proc = subprocess.run(["bash", str(PG_SH), "start", str(directory), str(port)],
                              capture_output=True, text=True, timeout=180, check=False)
        if proc.returncode:
            raise HarnessError(f"pg.sh start failed: {proc.stderr.strip()}")
        self.pg = Postgres(port, directory)
        # Odoo refuses to connect as `postgres`: a dedicated role.
        self.pg.psql("postgres", "CREATE ROLE odoo LOGIN SUPERUSER", user="postgres")
        return self.pg

    # -- odoo-bin ------------------------------------------------------------------------------

    def odoo_args(self, db: str) -> list[str]:
        """Options shared by every odoo-bin call on `db`."""
        addons = f"{self.odoo / 'addons'},{self.odoo / 'odoo' / 'addons'},{self.addons_dir}"
        return [f"--addons-path={addons}", "--db_host=127.0.0.1", f"--db_port={self.pg.port}",
                f"--db_user={self.pg.user}", "-d", db, f"--data-dir={self.workdir / 'data'}"]

    def _run_odoo(self, args: list[str], log_name: str, timeout: float,
                  stdin: str | None = None) -> subprocess.CompletedProcess:
        log_path = self.workdir / log_name
        with open(log_path, "w") as err:
            try:
                proc = subprocess.run([self.python, "odoo-bin", *args], cwd=self.odoo,
                                      input=stdin, stdout=subprocess.PIPE, stderr=err,
                                      text=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired as exc:
                raise HarnessError(f"odoo-bin {args[0]} timed out after {timeout:.0f} s; "
                                   f"log {log_path}:\n{tail(log_path)}") from exc
        if proc.returncode:
            raise HarnessError(f"odoo-bin {args[0]} failed ({proc.returncode}); log {log_path}:"
                               f"\n{tail(log_path)}")
        return proc

    def install(self, db: str, modules, *, demo: bool = True, timeout: float = 1800,
                cache_dir: Path | str | None = None) -> float:
        """Create `db` with `modules` installed (and demo data); returns the seconds taken.

        With `cache_dir`, a database installed before from the same Odoo tree, the same
        project addons, modules, demo flag and database name is restored from its dump there
        (and its filestore) instead; a fresh install is dumped there for the next run."""
        start = time.monotonic()
        cached = None
        if cache_dir is not None:
            cache = Path(cache_dir)
            cache.mkdir(parents=True, exist_ok=True)
            cached = cache / f"{db}-{self._install_key(db, modules, demo)}"
            if self._restore(db, cached):
                return time.monotonic() - start
        args = [*self.odoo_args(db), "-i", ",".join(modules), "--stop-after-init",
                "--no-http", "--log-level=warn", "--without-demo=" if demo else
                "--without-demo=all"]
        self._run_odoo(args, f"install-{db}.log", timeout)
        if cached is not None:
            self._dump(db, cached)
        return time.monotonic() - start

    def _install_key(self, db: str, modules, demo: bool) -> str:
        digest = hashlib.sha256(f"{db}|{','.join(sorted(modules))}|{demo}|".encode())
        proc = subprocess.run([pg_bin("pg_dump"), "--version"], capture_output=True, text=True,
                              check=False)
        digest.update(proc.stdout.encode())
        for part in ("odoo", "addons"):
            tree_fingerprint(digest, self.odoo / part, contents=False)
        tree_fingerprint(digest, self.addons_dir, contents=True)
        return digest.hexdigest()[:16]

    def _filestore(self, db: str) -> Path:
        return self.workdir / "data" / "filestore" / db

    def _dump(self, db: str, cached: Path) -> None:
        """`cached`.dump (pg_dump custom format) and `cached`.filestore.tar, each written
        under a temporary name first: a run stopped half-way leaves no broken entry."""
        dump, files = cached.with_suffix(".dump"), cached.with_suffix(".filestore.tar")
        part = dump.with_suffix(".dump.part")
        proc = subprocess.run([pg_bin("pg_dump"), "-Fc", "-f", str(part), self.pg.dsn(db)],
                              capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode:
            part.unlink(missing_ok=True)
            log(f"harness: not cached, pg_dump failed: {proc.stderr.strip()}")
            return
        with tarfile.open(files.with_suffix(".tar.part"), "w") as tar:
            if self._filestore(db).is_dir():
                tar.add(self._filestore(db), arcname=".")
        files.with_suffix(".tar.part").replace(files)
        part.replace(dump)
        log(f"harness: installed database cached as {dump}")

    def _restore(self, db: str, cached: Path) -> bool:
        dump, files = cached.with_suffix(".dump"), cached.with_suffix(".filestore.tar")
        if not (dump.is_file() and files.is_file()):
            return False
        self.pg.psql("postgres", f'CREATE DATABASE "{db}" OWNER odoo')
        proc = subprocess.run([pg_bin("pg_restore"), "--no-owner", "-d", self.pg.dsn(db),
                               str(dump)], capture_output=True, text=True, timeout=900,
                              check=False)
        if proc.returncode:
            raise HarnessError(f"pg_restore of {dump} failed: {proc.stderr.strip()[-2000:]}")
        self._filestore(db).mkdir(parents=True, exist_ok=True)
        with tarfile.open(files) as tar:
            tar.extractall(self._filestore(db), filter="data")
        log(f"harness: database restored from {dump}")
        return True

    def shell(self, db: str, code: str, params: dict | None = None,
              timeout: float = 600) -> str:
        """Run `code` in `odoo-bin shell` (superuser `env`; `PARAMS` holds `params`); the
        caller commits (`env.cr.commit()`), the shell rolls back the rest. Returns stdout."""
        prelude = f"import json as _json\nPARAMS = _json.loads({json.dumps(params or {})!r})\n"
        args = ["shell", *self.odoo_args(db), "--no-http", "--log-level=warn"]
        return self._run_odoo(args, f"shell-{db}.log", timeout, stdin=prelude + code).stdout

    def shell_json(self, db: str, code: str, params: dict | None = None,
                   timeout: float = 600):
        """`shell`, with the value the code leaves in `RESULT` handed back (as JSON)."""
        epilogue = f"\nprint({RESULT_MARK!r}, _json.dumps(RESULT, default=str))\n"
        out = self.shell(db, code + epilogue, params, timeout)
        for line in out.splitlines():
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK):])
        raise HarnessError(f"odoo-bin shell gave no result; stdout:\n{out[-2000:]}")

    def serve(self, db: str, *, workers: int = 4, timeout: float = 240,
              extra_args: list[str] | None = None) -> OdooServer:
        """Odoo as a prefork HTTP server on 127.0.0.1 serving `db` only (registry preloaded,
        no cron: nothing but the benchmark's requests), returned once `/web/health` answers."""
        port, gevent_port = free_port(), free_port()
        log_path = self.workdir / f"server-{db}.log"
        args = [*self.odoo_args(db), f"--db-filter=^{db}$", "--no-database-list",
                "--http-interface=127.0.0.1", f"--http-port={port}",
                f"--gevent-port={gevent_port}", f"--workers={workers}", "--max-cron-threads=0",
                f"--logfile={log_path}", "--log-level=info", "--log-handler=werkzeug:WARNING",
                *(extra_args or [])]
        with open(self.workdir / f"server-{db}.out", "w") as out:
            process = subprocess.Popen([self.python, "odoo-bin", *args], cwd=self.odoo,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        server = OdooServer("127.0.0.1", port, workers, process, log_path)
        self.stack.callback(server.stop)
        deadline = time.monotonic() + timeout
        while True:
            if not server.alive():
                raise HarnessError(f"Odoo server exited ({process.returncode}); log "
                                   f"{log_path}:\n{tail(log_path)}")
            try:
                conn = http.client.HTTPConnection(server.host, port, timeout=5)
                conn.request("GET", "/web/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return server
                conn.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise HarnessError(f"Odoo server not answering after {timeout:.0f} s; log "
                                   f"{log_path}:\n{tail(log_path)}")
            time.sleep(0.5)


# -- JSON-RPC ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """One JSON-RPC call: `kind` is "ok", "refusal" (a UserError-family answer), "error" (any
    other exception: a server traceback) or "transport" (no JSON-RPC answer: HTTP status,
    connection error, timeout)."""

    kind: str
    seconds: float
    result: object = None
    error_name: str = ""
    error_message: str = ""
    data: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


class JsonRpcClient:
    """One client of the web/POS kind: its own keep-alive connection and session cookie."""

    def __init__(self, host: str, port: int, timeout: float = 150.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookie: str | None = None
        self.context: dict = {}
        self._id = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def post(self, path: str, params: dict) -> Reply:
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params,
                           "id": self._id}).encode()
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = f"session_id={self.cookie}"
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=self.timeout)
            self.conn.request("POST", path, body, headers)
            response = self.conn.getresponse()
            payload = response.read()
            seconds = time.perf_counter() - start
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session_id="):
                    self.cookie = value.split(";", 1)[0].split("=", 1)[1]
            if response.status != 200:
                self.close()
                return Reply("transport", seconds, error_name=f"HTTP {response.status}",
                             error_message=payload[:300].decode(errors="replace"))
            answer = json.loads(payload)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.close()
            return Reply("transport", time.perf_counter() - start,
                         error_name=type(exc).__name__, error_message=str(exc))
        if "error" in answer:
            data = answer["error"].get("data") or {}
            name = data.get("name") or answer["error"].get("message", "unknown")
            return Reply("refusal" if name in REFUSALS else "error", seconds, error_name=name,
                         error_message=str(data.get("message", ""))[:500], data=data)
        return Reply("ok", seconds, result=answer.get("result"))

    def authenticate(self, db: str, login: str, password: str) -> dict:
        reply = self.post("/web/session/authenticate",
                          {"db": db, "login": login, "password": password})
        if not reply.ok or not (reply.result or {}).get("uid"):
            raise HarnessError(f"login {login!r} on {db!r} failed: {reply.kind} "
                               f"{reply.error_name} {reply.error_message}")
        self.context = dict(reply.result.get("user_context") or {})
        return reply.result

    def call_kw(self, model: str, method: str, args: list, kwargs: dict | None = None) -> Reply:
        """`model.method(*args, **kwargs)` as the web client calls it (the session's user
        context unless `kwargs` has its own)."""
        kwargs = dict(kwargs or {})
        kwargs.setdefault("context", self.context)
        return self.post(f"/web/dataset/call_kw/{model}/{method}",
                         {"model": model, "method": method, "args": args, "kwargs": kwargs})
