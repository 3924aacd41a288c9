#!/usr/bin/env python3
"""Carebox fault-injection suite (issue 12). Run it through `scripts/faults`, which provides a PostgreSQL cluster.

Each scenario starts `.build/debug/carebox demo` on a loopback port with a fresh database, puts it under load through
the JSON API as the demo patient (alex), injects one fault, and checks what must hold afterwards:

  kill-9       (SQLite, PostgreSQL) kill -9 mid-load, restart, every client retries what was not acknowledged with the
               same Idempotency-Key and body: no acknowledged reply lost or doubled, `carebox verify-audit` passes.
  pg-restart   (PostgreSQL) `pg_ctl restart -m immediate` mid-load: only 503 (with Retry-After) or connection errors
               meanwhile, new requests succeed again within 5 s of the restart returning, nothing acknowledged lost.
  disk-full    (SQLite) database and blobs on a 64 MB tmpfs, filled up: 507 storage_full (problem+json), never 500;
               once space is back, sends succeed and every acknowledged reply is there.
  stale-edits  (SQLite, PostgreSQL) stale If-Match saves of one draft (409 each) beside new drafts and replies for
               CAREBOX_FAULTS_EDIT_SECONDS (default 30 s per database): no 5xx, no stale save accepted, server alive.
  sigterm      (SQLite, PostgreSQL) SIGTERM under load: exit code 0 within 10 s, requests sent before it answered in
               full, every acknowledged reply there after a restart.

Prints `PASS name [db] (numbers)` or `FAIL name [db]: reason` per scenario and database, then `N passed, M failed` as
its last line; exits 1 if anything failed. Server logs go to a temp folder, printed (and kept) when something fails.

Environment: DATABASE_URL and CAREBOX_PG_DIR name the PostgreSQL cluster (scripts/postgres-cluster's); each scenario
makes its own database there. CAREBOX_FAULTS_DATABASES=sqlite,postgres and CAREBOX_FAULTS_ONLY=kill-9,... narrow the
run; CAREBOX_FAULTS_CLIENTS (16), CAREBOX_FAULTS_EDIT_SECONDS (30) tune it; CAREBOX_FAULTS_KEEP=1 keeps the temp folder.
Standard library only.
"""

import base64
import collections
import glob
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "debug", "carebox")
HOST = "127.0.0.1"
CLIENTS = int(os.environ.get("CAREBOX_FAULTS_CLIENTS", "16"))
EDIT_SECONDS = float(os.environ.get("CAREBOX_FAULTS_EDIT_SECONDS", "30"))
# A request whose bytes were all written at least this long before SIGTERM must be answered in full. (One written in
# the last instant may still sit unread in the socket when the server closes idle keep-alive connections.)
SIGTERM_GRACE = float(os.environ.get("CAREBOX_FAULTS_SIGTERM_GRACE", "0.25"))
PASSWORD = "carebox-demo"
KEY_PATTERN = re.compile(r"^msg ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


class Failure(Exception):
    """A scenario's verdict: the message is the reason printed after FAIL."""


def now():
    return time.monotonic()


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_binary(limit=600):
    """The binary may be briefly missing while it is rebuilt."""
    deadline = now() + limit
    while not (os.path.isfile(BINARY) and os.access(BINARY, os.X_OK)):
        if now() > deadline:
            raise Failure(f"{BINARY} is missing (build it first)")
        time.sleep(2)


# ---------------------------------------------------------------------------------------------------------------- HTTP


class Resp:
    def __init__(self, status, headers, body, t0, sent, t1):
        self.status, self.headers, self.body, self.t0, self.sent, self.t1 = status, headers, body, t0, sent, t1

    def json(self):
        return json.loads(self.body) if self.body else None

    def problem_code(self):
        try:
            return (self.json() or {}).get("code")
        except ValueError:
            return None

    def describe(self):
        return f"{self.status} {self.body[:300].decode('utf-8', 'replace')}"


class NetError(Exception):
    """A request without a whole answer. phase: connect (nothing sent), send (the connection failed while writing),
    response (sent, no status line) or body (status line seen, then the answer broke off)."""

    def __init__(self, error, phase, t0, sent, t1):
        super().__init__(f"{type(error).__name__} during {phase}")
        self.kind, self.phase, self.t0, self.sent, self.t1 = type(error).__name__, phase, t0, sent, t1


class Client:
    """One keep-alive connection (or a fresh one per request), bearer-authenticated."""

    def __init__(self, port, token=None, timeout=30, fresh=False):
        self.port, self.token, self.timeout, self.fresh = port, token, timeout, fresh
        self.conn = None

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def call(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        t0, sent, phase = now(), None, "connect"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            if self.conn.sock is None:
                self.conn.connect()
            phase = "send"
            self.conn.request(method, path, body, h)
            sent, phase = now(), "response"
            r = self.conn.getresponse()
            phase = "body"
            data = r.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise NetError(error, phase, t0, sent, now()) from None
        resp = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data, t0, sent, now())
        if self.fresh or r.will_close:
            self.close()
        return resp


def sign_in(port, user="alex"):
    """A bearer token for `user`: the sign-in form, then POST /api/v1/tokens with the session's CSRF token."""
    c = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        c.request("GET", "/sign-in")
        r = c.getresponse()
        r.read()
        csrf = re.search(r"carebox_csrf=([^;]+)", r.getheader("Set-Cookie") or "").group(1)
        form = urllib.parse.urlencode({"username": user, "password": PASSWORD, "csrf_token": csrf})
        c.request("POST", "/sign-in", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"carebox_csrf={csrf}"})
        r = c.getresponse()
        r.read()
        if r.status != 303:
            raise Failure(f"sign-in as {user} answered {r.status}")
        session = re.search(r"carebox_session=([^;]+)", r.getheader("Set-Cookie") or "").group(1)
        cookie = f"carebox_csrf={csrf}; carebox_session={session}"
        c.request("GET", "/account/security", headers={"Cookie": cookie})  # a page every signed-in person has
        page = c.getresponse().read().decode()
        bound = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        c.request("POST", "/api/v1/tokens", json.dumps({"name": "faults"}), {
            "Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": bound})
        r = c.getresponse()
        body = r.read()
        if r.status != 201:
            raise Failure(f"POST /api/v1/tokens answered {r.status} {body[:200]!r}")
        return json.loads(body)["token"]
    finally:
        c.close()


def items(value):
    return value.get("items", value) if isinstance(value, dict) else value


def start_conversation(port, token):
    """A conversation from alex to the first recipient of the first message type: the replies go there."""
    c = Client(port, token)
    types = items(c.call("GET", "/api/v1/message-types").json())
    type_id = types[0]["id"]
    recipients = items(c.call("GET", f"/api/v1/recipients?type={type_id}").json())
    r = c.call("POST", "/api/v1/conversations", {
        "messageTypeId": type_id, "recipient": {"kind": recipients[0]["kind"], "id": recipients[0]["id"]},
        "subject": "Fault injection", "body": "start"})
    if r.status != 201:
        raise Failure(f"POST /api/v1/conversations answered {r.describe()}")
    c.close()
    return r.json()["conversation"]["id"]


def conversation_keys(port, token, conversation):
    """Every reply's key in the conversation (paging back with `before`), and a problem with its seq numbers if any."""
    c = Client(port, token, timeout=60)
    keys, seqs, before = collections.Counter(), [], None
    for _ in range(10000):
        path = f"/api/v1/conversations/{conversation}" + (f"?before={before}" if before else "")
        r = c.call("GET", path)
        if r.status != 200:
            raise Failure(f"GET {path} answered {r.describe()}")
        page = r.json()
        for message in page["messages"]:
            seqs.append(message["seq"])
            match = KEY_PATTERN.match(message.get("bodyText", ""))
            if match:
                keys[match.group(1)] += 1
        before = page.get("earlierBefore")
        if not before:
            break
    c.close()
    seq_problem = None
    if sorted(seqs) != list(range(1, len(seqs) + 1)):
        counts = collections.Counter(seqs)
        doubled = sorted(s for s, n in counts.items() if n > 1)
        missing = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
        seq_problem = f"message seq not 1..{len(seqs)}: doubled {doubled[:5]}, missing {missing[:5]}"
    return keys, seq_problem


# ------------------------------------------------------------------------------------------------------------- servers


class Database:
    """Where one scenario's server keeps its data: a SQLite file or a fresh database on the PostgreSQL cluster."""

    def __init__(self, kind, work, name, cluster=None, sqlite_path=None):
        self.kind, self.work, self.name, self.cluster = kind, work, name, cluster
        self.blobs = os.path.join(work, "blobs")
        self.sqlite_path = sqlite_path or os.path.join(work, "carebox.sqlite")
        self.key = base64.b64encode(os.urandom(32)).decode()
        self.url = None
        if kind == "postgres":
            self.url = cluster.create(name)

    def env(self, port):
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "CAREBOX_SQLITE_PATH", "CAREBOX_CLAMD", "CAREBOX_PUBLIC_URL")}
        env.update({"CAREBOX_BLOB_DIR": self.blobs, "CAREBOX_ATTACHMENT_KEY": self.key, "CAREBOX_BCRYPT_COST": "10",
                    "CAREBOX_HOME": REPO, "CAREBOX_PUBLIC_URL": f"http://{HOST}:{port}",
                    # Dr. Chen makes an API token with her password alone (two-step verification is tested elsewhere).
                    "CAREBOX_STAFF_TWO_FACTOR": "optional"})
        if self.kind == "postgres":
            env["DATABASE_URL"] = self.url
        else:
            env["CAREBOX_SQLITE_PATH"] = self.sqlite_path
        return env

    def drop(self):
        if self.kind == "postgres":
            self.cluster.drop(self.name)


RUNNING = set()  # every server process not yet reaped, for the last-resort cleanup


class Server:
    def __init__(self, db, logs, label):
        self.db, self.logs, self.label = db, logs, label
        self.port = free_port()
        self.proc, self.starts, self.log_path = None, 0, None
        self.extra_env = {}  # on top of the database's, e.g. CAREBOX_SMTP_URL

    def start(self, limit=90):
        for attempt in range(3):
            wait_for_binary()
            built = os.stat(BINARY).st_mtime
            try:
                return self.start_once(limit)
            except Failure:
                # The binary was rebuilt under it (a half-written file): try again with the new one.
                rebuilt = not os.path.exists(BINARY) or os.stat(BINARY).st_mtime != built
                if attempt == 2 or not rebuilt:
                    raise
                time.sleep(5)

    def start_once(self, limit):
        self.starts += 1
        self.log_path = os.path.join(self.logs, f"{self.label}.server{self.starts}.log")
        command = [BINARY, "demo", "--port", str(self.port)]
        if shutil.which("setpriv"):  # dies with this script even if it is killed outright
            command = ["setpriv", "--pdeathsig", "KILL", "--"] + command
        deadline = now() + limit
        with open(self.log_path, "ab") as log:
            for attempt in range(30):
                try:
                    self.proc = subprocess.Popen(command, env={**self.db.env(self.port), **self.extra_env},
                                                 cwd=REPO, stdout=log,
                                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                    break
                except OSError as error:  # e.g. ETXTBSY while the binary is being relinked
                    if attempt == 29 or now() > deadline:
                        raise Failure(f"could not start {BINARY}: {error}")
                    time.sleep(2)
                    wait_for_binary()
        RUNNING.add(self.proc)
        while now() < deadline:
            if self.proc.poll() is not None:
                RUNNING.discard(self.proc)
                raise Failure(f"the server exited with {self.proc.returncode} while starting "
                              f"({self.tail()}); log {self.log_path}")
            try:
                c = http.client.HTTPConnection(HOST, self.port, timeout=2)
                c.request("GET", "/sign-in")
                if c.getresponse().status == 200:
                    c.close()
                    return
                c.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise Failure(f"the server did not answer within {limit}s; log {self.log_path}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, number):
        if self.alive():
            self.proc.send_signal(number)

    def wait(self, limit):
        try:
            code = self.proc.wait(limit)
            RUNNING.discard(self.proc)
            return code
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            RUNNING.discard(self.proc)

    def stop(self, limit=15):
        """SIGTERM, then SIGKILL if it does not go; the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(limit) is None:
                self.kill()
        RUNNING.discard(self.proc)
        return self.proc.returncode

    def tail(self, lines=3):
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(line.strip() for line in f.readlines()[-lines:])
        except OSError:
            return "no log"

    def log_lines(self, pattern, limit=5):
        found = []
        for path in sorted(glob.glob(os.path.join(self.logs, f"{self.label}.server*.log"))):
            with open(path, errors="replace") as f:
                found += [line.strip() for line in f if re.search(pattern, line)]
        return found[:limit]

    def verify_audit(self):
        """`carebox verify-audit` on this server's database (production profile): (events, None) or (None, reason)."""
        wait_for_binary()
        path = os.path.join(self.logs, f"{self.label}.verify-audit.log")
        with open(path, "wb") as log:
            try:
                code = subprocess.run([BINARY, "verify-audit"], env=self.db.env(self.port), cwd=REPO, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120).returncode
            except subprocess.TimeoutExpired:
                return None, f"verify-audit took over 120s ({path})"
        with open(path, errors="replace") as f:
            text = f.read()
        match = re.search(r"The audit chain is intact: (\d+) events", text)
        if code == 0 and match:
            return int(match.group(1)), None
        last = text.strip().splitlines()[-1] if text.strip() else ""
        return None, f"verify-audit exited {code}: {last[:200]} ({path})"


class Cluster:
    """The PostgreSQL cluster scripts/postgres-cluster started (CAREBOX_PG_DIR, DATABASE_URL)."""

    def __init__(self, directory, url):
        self.dir, self.url = directory, urllib.parse.urlsplit(url)
        self.port = self.url.port or 5432
        self.socket = os.environ.get("CAREBOX_PG_SOCKET") or os.path.join(directory, "socket")
        self.user = self.url.username or "carebox"
        candidates = ["/usr/lib/postgresql/15/bin"] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
        self.bin = next((d for d in candidates if os.access(os.path.join(d, "pg_ctl"), os.X_OK)), None)
        if self.bin is None:
            raise Failure("no PostgreSQL binaries under /usr/lib/postgresql")
        owner = pwd.getpwuid(os.stat(os.path.join(directory, "data")).st_uid).pw_name
        self.as_owner = ["runuser", "-u", owner, "--"] if os.getuid() == 0 and owner != "root" else []

    def tool(self, name, *args, timeout=60):
        command = self.as_owner + [os.path.join(self.bin, name), "-h", self.socket, "-p", str(self.port),
                                   "-U", self.user, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd="/")
        if result.returncode != 0:
            raise Failure(f"{name} {' '.join(args)} failed: {result.stderr.strip()[:200]}")

    def create(self, name):
        self.tool("dropdb", "--if-exists", name)
        self.tool("createdb", name)
        return urllib.parse.urlunsplit(self.url._replace(path="/" + name))

    def drop(self, name):
        try:
            self.tool("dropdb", "--if-exists", "--force", name)
        except (Failure, subprocess.TimeoutExpired):
            pass

    def restart(self, log_path):
        """pg_ctl restart -m immediate -w; the exit code."""
        command = self.as_owner + [os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"),
                                   "-l", os.path.join(self.dir, "server.log"), "restart", "-m", "immediate",
                                   "-w", "-t", "60"]
        with open(log_path, "ab") as log:
            return subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  cwd="/", timeout=90).returncode


# ---------------------------------------------------------------------------------------------------------------- load


def short_body(key):
    return f"msg {key}"


class Replies:
    """Clients replying to one conversation, each with a new Idempotency-Key per message (body `msg <key>`), retrying
    the current key with the same body until it is acknowledged (2xx). `stop_new` makes them finish their current key
    and stop; `abort` stops them at once."""

    def __init__(self, port, token, conversation, clients=CLIENTS, body=short_body, timeout=30, disk_full=False):
        self.port, self.token, self.conversation, self.clients = port, token, conversation, clients
        self.body, self.timeout, self.disk_full = body, timeout, disk_full
        self.lock = threading.Lock()
        self.sent, self.acked = set(), {}
        self.results = []  # (key, Resp or NetError)
        self.statuses = collections.Counter()
        self.problems = []  # 500s and other unexpected answers, described
        self.abandoned = []
        self.stop_new, self.abort = threading.Event(), threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(clients)]
        self.pause = 0.1

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def finish(self, limit):
        """Lets every client finish its current key (for at most `limit` seconds), then stops them."""
        self.stop_new.set()
        deadline = now() + limit
        for thread in self.threads:
            thread.join(max(0, deadline - now()))
        self.abort.set()
        for thread in self.threads:
            thread.join(5)

    def unacked(self):
        with self.lock:
            return sorted(self.sent - set(self.acked) - set(self.abandoned))

    def send(self, client, key):
        """One attempt; True when the key is settled (acknowledged or given up)."""
        path = f"/api/v1/conversations/{self.conversation}/messages"
        try:
            r = client.call("POST", path, {"body": self.body(key)}, {"Idempotency-Key": key})
        except NetError as error:
            with self.lock:
                self.results.append((key, error))
                self.statuses[error.kind] += 1
            return False
        with self.lock:
            self.results.append((key, r))
            self.statuses[r.status] += 1
            if 200 <= r.status < 300:
                self.acked.setdefault(key, r.status)
                return True
            if r.status == 503:
                if "retry-after" not in r.headers:
                    self.problems.append(f"POST {path} answered 503 without Retry-After")
                return False
            if r.status == 507 and self.disk_full:
                return False
            self.problems.append(f"POST {path} (Idempotency-Key {key}) answered {r.describe()}")
            if r.status == 422:
                self.abandoned.append(key)
                return True
            return False

    def run(self, n):
        client = Client(self.port, self.token, timeout=self.timeout)
        key = None
        while not self.abort.is_set():
            if key is None:
                if self.stop_new.is_set():
                    break
                key = str(uuid.uuid4())
                with self.lock:
                    self.sent.add(key)
            if self.send(client, key):
                key = None
            else:
                self.abort.wait(self.pause)
        client.close()

    def net_errors(self):
        with self.lock:
            return [(k, r) for k, r in self.results if isinstance(r, NetError)]

    def responses(self):
        with self.lock:
            return [(k, r) for k, r in self.results if isinstance(r, Resp)]


def check_replies(load, keys, extra_acked=()):
    """Problems with what the conversation holds against what was acknowledged."""
    problems = []
    acked = set(load.acked) | set(extra_acked)
    lost = sorted(k for k in acked if keys[k] == 0)
    doubled = sorted(k for k in keys if keys[k] > 1)
    unacked = load.unacked()
    if lost:
        problems.append(f"{len(lost)} acknowledged replies lost (e.g. {lost[0]})")
    if doubled:
        problems.append(f"{len(doubled)} replies stored more than once (e.g. {doubled[0]} x{keys[doubled[0]]})")
    if unacked:
        problems.append(f"{len(unacked)} replies never acknowledged despite retries (e.g. {unacked[0]})")
    strangers = sorted(k for k in keys if k not in load.sent and k not in acked)
    if strangers:
        problems.append(f"{len(strangers)} replies stored that were never sent (e.g. {strangers[0]})")
    return problems, len(lost), len(doubled)


def first_problems(problems, limit=3):
    unique = list(dict.fromkeys(problems))
    more = f" (+{len(problems) - limit} more)" if len(problems) > limit else ""
    return "; ".join(unique[:limit]) + more


def status_summary(counter):
    return " ".join(f"{k}:{v}" for k, v in sorted(counter.items(), key=lambda kv: str(kv[0])))


# ----------------------------------------------------------------------------------------------------------- scenarios


class Scenario:
    def __init__(self, suite, name, db_kind):
        self.suite, self.name, self.db_kind = suite, name, db_kind
        self.label = f"{name}-{db_kind}"
        self.work = os.path.join(suite.work, self.label)
        os.makedirs(self.work, exist_ok=True)
        self.servers, self.dbs, self.cleanups = [], [], []

    def database(self, **options):
        db = Database(self.db_kind, self.work, f"faults_{self.name.replace('-', '_')}_{os.getpid()}",
                      cluster=self.suite.cluster, **options)
        self.dbs.append(db)
        return db

    def server(self, db):
        server = Server(db, self.suite.logs, self.label)
        self.servers.append(server)
        return server

    def close(self):
        for server in self.servers:
            server.kill()
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as error:  # noqa: BLE001 - reported, never stops the other clean-ups
                print(f"  (clean-up of {self.label} failed: {error})", flush=True)
        for db in self.dbs:
            db.drop()


def server_errors(server):
    lines = server.log_lines(r"\b(error|critical)\b", limit=3)
    return f"; log: {' | '.join(l[:300] for l in lines)}" if lines else ""


def replies_under_load(sc):
    """A fresh database and server, Alex signed in, a conversation, and 16 clients replying in it."""
    db = sc.database()
    server = sc.server(db)
    server.start()
    token = sign_in(server.port)
    conversation = start_conversation(server.port, token)
    return db, server, token, conversation, Replies(server.port, token, conversation).start()


def kill_9(sc):
    db, server, token, conversation, load = replies_under_load(sc)
    try:
        time.sleep(5)
        before = len(load.acked)
        server.kill()  # SIGKILL
        killed = now()
        server.start()
        restart = now() - killed
        time.sleep(1)
        load.finish(60)
    finally:
        load.abort.set()
    keys, seq_problem = conversation_keys(server.port, token, conversation)
    server.stop()
    events, audit_problem = server.verify_audit()
    problems, lost, doubled = check_replies(load, keys)
    problems += load.problems
    if seq_problem:
        problems.append(seq_problem)
    if audit_problem:
        problems.append(audit_problem)
    retried = len({k for k, r in load.net_errors()})
    if problems:
        raise Failure(first_problems(problems) + server_errors(server))
    return (f"{len(load.acked)} acked, {before} before the kill, {retried} retried after it, lost {lost}, "
            f"doubled {doubled}, restart {restart:.1f}s, audit intact: {events} events")


def pg_restart(sc):
    db, server, token, conversation, load = replies_under_load(sc)
    probes = []  # (started, finished, status or error kind)
    probing = threading.Event()

    def probe():
        client = Client(server.port, token, timeout=4, fresh=True)
        while not probing.is_set():
            t0 = now()
            try:
                r = client.call("GET", "/api/v1/unread-counts")
                probes.append((t0, r.t1, r.status, r))
            except NetError as error:
                probes.append((t0, error.t1, error.kind, None))
            probing.wait(0.1)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        time.sleep(4)
        issued = now()
        code = sc.suite.cluster.restart(os.path.join(sc.suite.logs, f"{sc.label}.pg_ctl.log"))
        returned = now()
        if code != 0:
            raise Failure(f"pg_ctl restart exited {code}")
        recovered = None
        deadline = returned + 30
        while now() < deadline:
            ok = [t1 for t0, t1, status, _ in probes if t0 >= returned and status == 200]
            ok += [r.t1 for _, r in load.responses() if r.t0 >= returned and 200 <= r.status < 300]
            if ok:
                recovered = min(ok) - returned
                break
            time.sleep(0.1)
        time.sleep(2)
        probing.set()
        load.finish(60)
    finally:
        probing.set()
        load.abort.set()
    prober.join(10)
    problems = []
    if recovered is None:
        problems.append("no request succeeded within 30s of the restart")
    elif recovered >= 5:
        problems.append(f"requests succeeded again only {recovered:.1f}s after the restart (limit 5s)")
    for t0, t1, status, r in probes:
        if isinstance(status, int) and status != 200 and (status != 503 or "retry-after" not in r.headers):
            problems.append(f"GET /api/v1/unread-counts answered {r.describe()}")
    keys, seq_problem = conversation_keys(server.port, token, conversation)
    exit_code = server.stop()
    events, audit_problem = server.verify_audit()
    reply_problems, lost, doubled = check_replies(load, keys)
    problems += reply_problems + load.problems
    if seq_problem:
        problems.append(seq_problem)
    if audit_problem:
        problems.append(audit_problem)
    statuses = collections.Counter(load.statuses)
    for _, _, status, _ in probes:
        statuses[status] += 1
    hung = sum(1 for _, r in load.responses() if r.status == 503 and r.t1 - r.t0 > 10)
    if problems:
        raise Failure(first_problems(problems) + f" [answers {status_summary(statuses)}]" + server_errors(server))
    return (f"recovered {recovered:.2f}s after the restart returned (restart took {returned - issued:.1f}s), "
            f"{len(load.acked)} acked, lost {lost}, doubled {doubled}, {statuses[503]} x 503 ({hung} after the "
            f"15s deadline), {sum(v for k, v in statuses.items() if isinstance(k, str))} connection errors, "
            f"0 x 500, audit intact: {events} events, server exit {exit_code}")


def disk_full(sc):
    mount = os.path.join(sc.work, "tmpfs")
    os.makedirs(mount, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount], capture_output=True, text=True)
    if result.returncode != 0:
        raise Failure(f"cannot mount a tmpfs (needs root / CAP_SYS_ADMIN): {result.stderr.strip()[:200]}")

    def unmount():
        for _ in range(10):
            if subprocess.run(["umount", mount], capture_output=True).returncode == 0:
                return
            time.sleep(0.5)
        subprocess.run(["umount", "-l", mount], capture_output=True)

    sc.cleanups.append(unmount)
    db = sc.database(sqlite_path=os.path.join(mount, "carebox.sqlite"))
    db.blobs = os.path.join(mount, "blobs")
    server = sc.server(db)
    server.start()
    token = sign_in(server.port)
    conversation = start_conversation(server.port, token)
    api = Client(server.port, token)
    # Bodies of ~6 KB, deterministic per key, so the WAL has to grow while the disk is full.
    load = Replies(server.port, token, conversation, clients=1, body=lambda k: f"msg {k} " + ("lorem ipsum " * 500),
                   disk_full=True)
    problems = []

    def reply(key):
        settled = load.send(api, key)
        return load.results[-1][1], settled

    def new_key():
        key = str(uuid.uuid4())
        load.sent.add(key)
        return key

    for _ in range(10):
        r, _ = reply(new_key())
        if not isinstance(r, Resp) or r.status != 201:
            raise Failure(f"a reply before the disk filled up answered {getattr(r, 'status', r)}")
    draft = api.call("POST", "/api/v1/drafts", {"body": "an attachment while the disk is full"}).json()["id"]

    def upload(name):
        return api.call("POST", f"/api/v1/drafts/{draft}/attachments?filename={name}",
                        (f"{name} " * 40000).encode(), {"Content-Type": "application/octet-stream"})

    first = upload("before.txt")
    if first.status != 201:
        problems.append(f"an upload with free space answered {first.describe()}")

    # Fill the disk: one big preallocated file, then page-sized writes until ENOSPC.
    st = os.statvfs(mount)
    filler = os.path.join(mount, "filler")
    with open(filler, "wb") as f:
        try:
            os.posix_fallocate(f.fileno(), 0, max(st.f_bavail * st.f_frsize - 4096, 4096))
        except OSError:
            pass
    with open(os.path.join(mount, "filler2"), "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    free_bytes = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize

    full_statuses, refused, accepted_while_full = collections.Counter(), [], 0
    deadline = now() + 15
    while now() < deadline and len(refused) < 20:
        key = new_key()
        r, _ = reply(key)
        status = r.status if isinstance(r, Resp) else r.kind
        full_statuses[status] += 1
        if isinstance(r, Resp) and r.status == 507:
            refused.append(key)
            if r.problem_code() != "storage_full" or "problem+json" not in r.headers.get("content-type", ""):
                problems.append(f"507 without a storage_full problem+json: {r.headers.get('content-type')} "
                                f"{r.describe()}")
        elif isinstance(r, Resp) and r.status in (200, 201):
            accepted_while_full += 1
        else:
            problems.append(f"a reply on a full disk answered {getattr(r, 'status', None) or r}"
                            + (f": {r.describe()}" if isinstance(r, Resp) else ""))
    read = api.call("GET", f"/api/v1/conversations/{conversation}?before=2")
    full_statuses[f"GET:{read.status}"] += 1
    if read.status >= 500 and read.status != 507:
        problems.append(f"reading a conversation on a full disk answered {read.describe()}")
    full_upload = upload("full.txt")
    full_statuses[f"upload:{full_upload.status}"] += 1
    if full_upload.status != 507 or full_upload.problem_code() != "storage_full":
        problems.append(f"an upload on a full disk answered {full_upload.describe()} (expected 507 storage_full)")
    if not refused:
        problems.append(f"no reply was refused with 507 on a full disk ({free_bytes} bytes free; answers "
                        f"{status_summary(full_statuses)})")

    os.remove(filler)
    os.remove(os.path.join(mount, "filler2"))
    # Space is back: new replies go through, and each refused one, retried with its key, is sent now (201), not
    # found already sent (200: it had been stored after all).
    after_ok = 0
    for _ in range(10):
        key = new_key()
        for _ in range(20):
            r, settled = reply(key)
            if settled:
                break
            time.sleep(0.25)
        if isinstance(r, Resp) and r.status == 201:
            after_ok += 1
        else:
            problems.append(f"a reply after the disk was freed answered {getattr(r, 'status', r)}")
    resent = 0
    for key in refused:
        r, settled = reply(key)
        if isinstance(r, Resp) and r.status == 200:
            problems.append(f"a reply refused with 507 had been stored after all (retry answered 200, key {key})")
        elif isinstance(r, Resp) and r.status == 201:
            resent += 1
        else:
            problems.append(f"retrying a reply refused with 507 answered {getattr(r, 'status', r)}")
    second = upload("after.txt")
    if second.status != 201:
        problems.append(f"an upload after the disk was freed answered {second.describe()}")
    api.close()
    keys, seq_problem = conversation_keys(server.port, token, conversation)
    exit_code = server.stop()
    events, audit_problem = server.verify_audit()
    reply_problems, lost, doubled = check_replies(load, keys)
    problems += reply_problems + load.problems
    if seq_problem:
        problems.append(seq_problem)
    if audit_problem:
        problems.append(audit_problem)
    if exit_code != 0:
        problems.append(f"the server exited {exit_code} on SIGTERM")
    if problems:
        raise Failure(first_problems(problems, 4) + f" [answers while full {status_summary(full_statuses)}]"
                      + server_errors(server))
    return (f"{len(refused)} x 507 storage_full with {free_bytes} bytes free ({accepted_while_full} accepted from space already held, "
            f"upload 507), {after_ok}/10 sent after freeing, {resent} refused ones resent, {len(load.acked)} acked, "
            f"lost {lost}, doubled {doubled}, audit intact: {events} events")


def stale_edits(sc):
    db = sc.database()
    server = sc.server(db)
    server.start()
    token = sign_in(server.port)
    conversation = start_conversation(server.port, token)
    api = Client(server.port, token)
    r = api.call("POST", "/api/v1/drafts", {"body": "the draft everyone edits"})
    if r.status != 201:
        raise Failure(f"POST /api/v1/drafts answered {r.describe()}")
    draft, first_version = r.json()["id"], r.json()["version"]
    lock = threading.Lock()
    counts = collections.Counter()
    problems = []
    known = [first_version]  # the highest version seen: anything below it is stale
    stop = threading.Event()

    def record(kind, r, expected):
        with lock:
            if isinstance(r, NetError):
                counts[f"{kind}:{r.kind}"] += 1
                problems.append(f"{kind}: {r}")
                return
            counts[f"{kind}:{r.status}"] += 1
            if r.status not in expected:
                problems.append(f"{kind} answered {r.describe()}")

    def call(client, *args, **kw):
        try:
            return client.call(*args, **kw)
        except NetError as error:
            return error

    def stale_editor(n):
        client = Client(server.port, token)
        i = 0
        while not stop.is_set():
            i += 1
            version = max(1, known[0] - 1 - (i % 3))
            if version >= known[0]:
                time.sleep(0.05)
                continue
            r = call(client, "PUT", f"/api/v1/drafts/{draft}", {"body": f"stale {n}.{i}"},
                     {"If-Match": f'"{version}"'})
            record("stale PUT", r, (409,))
            if isinstance(r, Resp) and r.status == 409 and r.problem_code() != "version_conflict":
                with lock:
                    problems.append(f"stale PUT: 409 with code {r.problem_code()}")

    saved_versions = collections.Counter()  # the version each accepted save produced: each at most once

    def fresh_editor(n):
        client = Client(server.port, token)
        i = 0
        while not stop.is_set():
            i += 1
            g = call(client, "GET", f"/api/v1/drafts/{draft}")
            record("GET draft", g, (200,))
            if not isinstance(g, Resp) or g.status != 200:
                time.sleep(0.1)
                continue
            version = g.json()["version"]
            with lock:
                known[0] = max(known[0], version)
            r = call(client, "PUT", f"/api/v1/drafts/{draft}", {"body": f"fresh {n}.{i}"},
                     {"If-Match": f'"{version}"'})
            record("fresh PUT", r, (200, 409))  # two fresh editors race: one of them may lose
            if isinstance(r, Resp) and r.status == 200:
                with lock:
                    saved = r.json()["version"]
                    saved_versions[saved] += 1
                    known[0] = max(known[0], saved)
                    if saved != version + 1:
                        problems.append(f"a save at version {version} produced version {saved}")

    def creator(n):
        client = Client(server.port, token)
        i = 0
        while not stop.is_set():
            i += 1
            record("POST draft", call(client, "POST", "/api/v1/drafts", {"body": f"new draft {n}.{i}"}), (201,))

    threads = [threading.Thread(target=stale_editor, args=(n,), daemon=True) for n in range(4)]
    threads += [threading.Thread(target=fresh_editor, args=(n,), daemon=True) for n in range(2)]
    threads += [threading.Thread(target=creator, args=(n,), daemon=True) for n in range(3)]
    load = Replies(server.port, token, conversation, clients=4)
    started = now()
    try:
        for thread in threads:
            thread.start()
        load.start()
        while now() - started < EDIT_SECONDS:
            time.sleep(0.5)
            if not server.alive():
                problems.append(f"the server died (exit {server.proc.returncode}) after {now() - started:.0f}s")
                break
    finally:
        stop.set()
        load.finish(30)
        for thread in threads:
            thread.join(30)
    if server.alive():
        final = api.call("GET", f"/api/v1/drafts/{draft}")
        if final.status != 200:
            problems.append(f"GET the draft afterwards answered {final.describe()}")
        elif (final.json()["version"] != first_version + counts["fresh PUT:200"]
              or max(saved_versions.values(), default=1) > 1):
            problems.append(f"the draft is at version {final.json()['version']} after {counts['fresh PUT:200']} "
                            f"accepted saves from version {first_version}: a stale save got through")
        keys, seq_problem = conversation_keys(server.port, token, conversation)
        reply_problems, lost, doubled = check_replies(load, keys)
        problems += reply_problems
        if seq_problem:
            problems.append(seq_problem)
    api.close()
    problems += load.problems
    fivexx = sum(v for k, v in list(counts.items()) + list(load.statuses.items())
                 if str(k).split(":")[-1].startswith("5"))
    exit_code = server.stop()
    events, audit_problem = server.verify_audit()
    if audit_problem:
        problems.append(audit_problem)
    if fivexx:
        problems.insert(0, f"{fivexx} x 5xx")
    if problems:
        raise Failure(first_problems(problems, 4) + f" [answers {status_summary(counts)} replies "
                      f"{status_summary(load.statuses)}]" + server_errors(server))
    return (f"{EDIT_SECONDS:.0f}s: {counts['stale PUT:409']} stale saves all 409, {counts['fresh PUT:200']} fresh "
            f"saves ({counts['fresh PUT:409']} lost a race: 409), {counts['POST draft:201']} new drafts, "
            f"{len(load.acked)} replies, 0 x 5xx, lost {lost}, doubled {doubled}, audit intact: {events} events, "
            f"server exit {exit_code}")


def sigterm(sc):
    db, server, token, conversation, load = replies_under_load(sc)
    try:
        time.sleep(4)
        termed = now()
        server.signal(signal.SIGTERM)
        code = server.wait(12)
        took = now() - termed
        if code is None:
            server.kill()
        restarted = now()
        server.start()
        restart = now() - restarted
        time.sleep(1)
        load.finish(60)
    finally:
        load.abort.set()
    problems = []
    if code is None:
        problems.append("the server had not exited 12s after SIGTERM (killed)")
    elif code != 0:
        problems.append(f"the server exited {code} after SIGTERM (expected 0)")
    elif took > 10:
        problems.append(f"the server took {took:.1f}s to exit after SIGTERM (limit 10s)")
    cut, race, in_flight = [], 0, 0
    for key, r in load.net_errors():
        written = r.sent if r.sent is not None else r.t0  # phase send: the write itself failed
        if r.phase == "body":
            cut.append(f"an answer broke off mid-body ({r.kind}) {r.t1 - termed:+.2f}s from SIGTERM")
        elif r.phase in ("send", "response") and written < termed:
            if written < termed - SIGTERM_GRACE:
                cut.append(f"a reply sent {termed - written:.2f}s before SIGTERM got {r.kind} ({r.phase}) "
                           f"instead of an answer")
            else:
                race += 1
    for key, r in load.responses():
        if r.sent is not None and r.sent < termed < r.t1:
            in_flight += 1
    problems += cut
    keys, seq_problem = conversation_keys(server.port, token, conversation)
    server.stop()
    events, audit_problem = server.verify_audit()
    reply_problems, lost, doubled = check_replies(load, keys)
    problems += reply_problems + load.problems
    if seq_problem:
        problems.append(seq_problem)
    if audit_problem:
        problems.append(audit_problem)
    if problems:
        raise Failure(first_problems(problems) + f" [answers {status_summary(load.statuses)}]" + server_errors(server))
    after = sum(1 for _, r in load.net_errors() if (r.sent if r.sent is not None else r.t0) >= termed)
    unavailable = sum(v for k, v in load.statuses.items() if k == 503)
    return (f"exit 0 in {took:.1f}s, {in_flight} in flight at SIGTERM all answered in full, {race} reset within "
            f"{SIGTERM_GRACE}s before it, {after} refused/reset after it, {unavailable} x 503, {len(load.acked)} "
            f"acked, lost {lost}, doubled {doubled}, restart {restart:.1f}s, audit intact: {events} events")


class MailServer:
    """scripts/smtp_server.py (aiosmtpd) in a folder of the scenario's: what it accepts is written there as .eml/.json."""

    def __init__(self, work):
        self.folder = os.path.join(work, "mail")
        os.makedirs(self.folder, exist_ok=True)
        self.proc, self.port = None, None

    def start(self):
        cert, key = os.path.join(self.folder, "cert.pem"), os.path.join(self.folder, "key.pem")
        if not os.path.exists(cert):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        ports = os.path.join(self.folder, "ports")
        if os.path.exists(ports):
            os.remove(ports)
        self.proc = subprocess.Popen([sys.executable, os.path.join(REPO, "scripts", "smtp_server.py"), self.folder,
                                      cert, key], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        RUNNING.add(self.proc)
        deadline = now() + 30
        while not os.path.exists(ports):
            if now() > deadline or self.proc.poll() is not None:
                raise Failure("the SMTP server did not start")
            time.sleep(0.1)
        self.port = json.load(open(ports))["plain"]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
            RUNNING.discard(self.proc)

    def received(self, address):
        count = 0
        for name in glob.glob(os.path.join(self.folder, "*.json")):
            with open(name) as f:
                if address in json.load(f).get("rcpt_tos", []):
                    count += 1
        return count


def mail_kill_9(sc):
    """Dr. Chen replies while the mail server is down; the server is killed (-9) before it could deliver; the mail
    server comes up; after the restart exactly one email reaches Alex, and one Jordan (his proxy)."""
    db = sc.database()
    server = sc.server(db)
    mail = MailServer(sc.work)
    sc.cleanups.append(mail.stop)
    down = free_port()  # nothing listens here: the mail server is down
    server.extra_env = {"CAREBOX_SMTP_URL": f"smtp://{HOST}:{down}?starttls=off", "CAREBOX_MAIL_FROM": "portal@example.org"}
    server.start()
    alex, chen = Client(server.port, sign_in(server.port, "alex")), Client(server.port, sign_in(server.port, "mchen"))
    types = items(alex.call("GET", "/api/v1/message-types").json())
    type_id = types[0]["id"]
    recipients = items(alex.call("GET", f"/api/v1/recipients?type={type_id}").json())
    doctor = next((r for r in recipients if r["kind"] == "provider" and "Chen" in json.dumps(r)), None)
    if doctor is None:
        raise Failure("Dr. Chen is not among Alex's recipients")
    r = alex.call("POST", "/api/v1/conversations", {
        "messageTypeId": type_id, "recipient": {"kind": "provider", "id": doctor["id"]}, "subject": "Mail faults",
        "body": "start"})
    if r.status != 201:
        raise Failure(f"POST /api/v1/conversations answered {r.describe()}")
    conversation = r.json()["conversation"]["id"]
    r = chen.call("POST", f"/api/v1/conversations/{conversation}/messages", {"body": "A reply"})
    if r.status != 201:
        raise Failure(f"the reply answered {r.describe()}")
    time.sleep(2)  # the worker tries, finds no mail server, and waits to try again
    server.kill()
    mail.start()
    server.extra_env["CAREBOX_SMTP_URL"] = f"smtp://{HOST}:{mail.port}?starttls=off"
    killed = now()
    server.start()
    deadline = now() + 60
    while now() < deadline and (mail.received("alex@example.org") < 1 or mail.received("jordan@example.org") < 1):
        time.sleep(0.2)
    delivered = now() - killed
    time.sleep(8)  # any second copy would have gone by now
    alex_count, jordan_count = mail.received("alex@example.org"), mail.received("jordan@example.org")
    server.stop()
    if (alex_count, jordan_count) != (1, 1):
        raise Failure(f"emails after the restart: alex {alex_count}, jordan {jordan_count}; expected exactly one each"
                      + server_errors(server))
    return f"delivered {delivered:.1f}s after the kill, alex 1, jordan 1, none doubled"


SCENARIOS = [  # name, function, databases
    ("kill-9", kill_9, ("sqlite", "postgres")),
    ("pg-restart", pg_restart, ("postgres",)),
    ("disk-full", disk_full, ("sqlite",)),
    ("stale-edits", stale_edits, ("sqlite", "postgres")),
    ("sigterm", sigterm, ("sqlite", "postgres")),
    ("mail-kill-9", mail_kill_9, ("sqlite", "postgres")),
]


# --------------------------------------------------------------------------------------------------------------- suite


class Suite:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="carebox-faults.")
        self.logs = os.path.join(self.work, "logs")
        os.makedirs(self.logs)
        self.cluster, self.cluster_problem = None, None
        self.passed, self.failed = 0, 0

    def connect_cluster(self):
        directory, url = os.environ.get("CAREBOX_PG_DIR"), os.environ.get("DATABASE_URL")
        if os.environ.get("CAREBOX_FAULTS_PG_ERROR"):
            self.cluster_problem = os.environ["CAREBOX_FAULTS_PG_ERROR"]
        elif not directory or not url or not os.path.isdir(os.path.join(directory, "data")):
            self.cluster_problem = "no PostgreSQL cluster (CAREBOX_PG_DIR and DATABASE_URL; run via scripts/faults)"
        else:
            try:
                self.cluster = Cluster(directory, url)
            except Failure as error:
                self.cluster_problem = str(error)

    def run(self, name, function, db_kind):
        started = now()
        sc = Scenario(self, name, db_kind)
        try:
            if db_kind == "postgres" and self.cluster is None:
                raise Failure(self.cluster_problem)
            numbers = function(sc)
            print(f"PASS {name} [{db_kind}] ({numbers}; {now() - started:.0f}s)", flush=True)
            self.passed += 1
        except Failure as error:
            print(f"FAIL {name} [{db_kind}]: {error} ({now() - started:.0f}s; logs {self.logs})", flush=True)
            self.failed += 1
        except Exception as error:  # noqa: BLE001 - a crash of the harness is a failed scenario, not a stopped suite
            print(f"FAIL {name} [{db_kind}]: {type(error).__name__}: {error} ({now() - started:.0f}s; logs "
                  f"{self.logs})", flush=True)
            self.failed += 1
        finally:
            sc.close()


def main():
    def terminate(number, frame):
        raise KeyboardInterrupt(f"signal {number}")

    signal.signal(signal.SIGTERM, terminate)
    databases = [d.strip() for d in os.environ.get("CAREBOX_FAULTS_DATABASES", "sqlite,postgres").split(",")]
    only = {s.strip() for s in os.environ.get("CAREBOX_FAULTS_ONLY", "").split(",") if s.strip()}
    suite = Suite()
    started = now()
    interrupted = False
    try:
        if "postgres" in databases:
            suite.connect_cluster()
        for db_kind in ("sqlite", "postgres"):
            if db_kind not in databases:
                continue
            for name, function, kinds in SCENARIOS:
                if db_kind in kinds and (not only or name in only):
                    suite.run(name, function, db_kind)
    except KeyboardInterrupt:
        interrupted = True
        suite.failed += 1
        print("FAIL faults: interrupted", flush=True)
    finally:
        for proc in list(RUNNING):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    keep = suite.failed or os.environ.get("CAREBOX_FAULTS_KEEP") == "1"
    if keep:
        print(f"Logs and databases: {suite.work} (took {now() - started:.0f}s)", flush=True)
    else:
        shutil.rmtree(suite.work, ignore_errors=True)
        print(f"Fault suite took {now() - started:.0f}s", flush=True)
    print(f"{suite.passed} passed, {suite.failed} failed", flush=True)
    return 1 if suite.failed or interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
