"""Account enumeration by timing, for bench/enumeration (issue 15).

Do three pages answer an existing account and an unknown one in about the same time? Runs `carebox demo` (a copy of the
binary, on a fresh temporary SQLite database for every server life, on 127.0.0.1 only) and times, request by request,
with the two kinds alternating (ABBA order, so machine noise and order hit both alike):

  sign-in          POST /sign-in: a wrong password for a demo username (rotating over the eight) against a random
                   unknown username. Both must answer 401 with the same page.
  forgot-password  POST /forgot-password: a demo username against an unknown one. Both answer 303 to ?sent=1.
                   Needs email on (CAREBOX_SMTP_URL); the wrapper starts scripts/smtp-server. A known account's first
                   request in a minute writes a reset and its email; further ones inside that minute write nothing,
                   so "existing" is also reported split into those two.
  sign-up          POST /sign-up: a real activation code (issued by the demo administrator for Sam Rivera, who has no
                   account; reissued after every four tries, since the fifth wrong birth date voids it) with a wrong
                   date of birth, against a well-formed code that does not exist. Both answer 422 with the same page.

Sign-in and sign-up failures count against 127.0.0.1 (20 in 15 minutes, then 429), so those pages run in several
short server lives of at most 18 failures each (one warm-up pair, eight timed pairs). 429s are counted, never timed.
Only 2xx-4xx answers of the expected status are timed; redirects are not followed. Prints a Markdown table.

    python3 bench/enumeration.py [--pairs 32] [--pages sign-in,forgot-password,sign-up] [--cost 12]
    BENCH_BIN=.build/debug/carebox (default; copied to /tmp/enum-bench first, as the tree may be rebuilt meanwhile)
    CAREBOX_SMTP_URL=smtp://127.0.0.1:PORT (for forgot-password; bench/enumeration sets it)
"""

import argparse
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import string
import subprocess
import sys
import time

try:
    import requests
except ImportError:  # pragma: no cover
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "requests"])
    import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = "/tmp/enum-bench"
DEMO_USERS = ["alex", "jordan", "mchen", "ohaddad", "lpark", "ntorres", "bokafor", "admin"]
DEMO_PASSWORD = "carebox-demo"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PAIRS_PER_LIFE = 8  # + one warm-up pair = 18 failures per server life, under the address limit of 20

args = None
counts = {}  # page -> {"429": n, "unexpected": n}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One life of `carebox demo` on a fresh database."""

    serial = 0

    def __init__(self, binary):
        Server.serial += 1
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        stamp = f"{os.getpid()}-{Server.serial}"
        self.db = os.path.join(WORK, f"life-{stamp}.sqlite")
        self.log = open(os.path.join(WORK, f"life-{stamp}.log"), "w")
        env = dict(os.environ)
        env.update(
            CAREBOX_HOME=ROOT, CAREBOX_SQLITE_PATH=self.db, CAREBOX_STAFF_TWO_FACTOR="optional",
            CAREBOX_BCRYPT_COST=str(args.cost), CAREBOX_LOG_LEVEL="warning",
        )
        if env.get("CAREBOX_SMTP_URL"):
            env.setdefault("CAREBOX_MAIL_FROM", "bench@example.org")
        self.process = subprocess.Popen(
            [binary, "demo", "--port", str(self.port), "--hostname", "127.0.0.1"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=WORK,
        )
        deadline = time.time() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"carebox exited while starting; see {self.log.name}")
            try:
                if requests.get(self.base + "/sign-in", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                self.stop()
                raise SystemExit(f"carebox did not answer within 60 s; see {self.log.name}")
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        for suffix in ("", "-wal", "-shm", ".attachment-key"):
            try:
                os.remove(self.db + suffix)
            except FileNotFoundError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def browser(server, path):
    """A cookie jar holding the double-submit cookie, and its value for forms."""
    session = requests.Session()
    response = session.get(server.base + path, timeout=10)
    response.raise_for_status()
    return session, session.cookies.get("carebox_csrf")


def timed_post(session, url, data):
    start = time.perf_counter()
    response = session.post(url, data=data, allow_redirects=False, timeout=60)
    _ = response.content
    return (time.perf_counter() - start) * 1000, response


def unknown_username():
    return "u" + "".join(random.choices(string.ascii_lowercase + string.digits, k=11))


def unknown_code():
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{code[:5]}-{code[5:]}"


class Samples:
    def __init__(self):
        self.times = {}  # kind -> [ms]
        self.bodies = {}  # kind -> set of normalised bodies
        self.statuses = {}  # kind -> {status: n}

    def add(self, kind, ms, response, typed=()):
        self.times.setdefault(kind, []).append(ms)
        self.statuses.setdefault(kind, {}).setdefault(response.status_code, 0)
        self.statuses[kind][response.status_code] += 1
        body = response.text
        for text in typed:  # what was typed is echoed back; the rest must not differ
            body = body.replace(text, "TYPED")
        body = re.sub(r'name="csrf_token" value="[^"]*"', "", body)
        location = response.headers.get("location", "")
        self.bodies.setdefault(kind, set()).add((response.status_code, location, body))


def record(page, samples, kind, ms, response, expected, typed=()):
    """Times only the expected answer; counts 429s and anything else."""
    if response.status_code == expected:
        samples.add(kind, ms, response, typed)
        return True
    key = "429" if response.status_code == 429 else f"unexpected {response.status_code}"
    counts.setdefault(page, {}).setdefault(key, 0)
    counts[page][key] += 1
    return False


def abba(n):
    """True: existing first in pair i."""
    return [i % 4 in (0, 3) for i in range(n)]


# MARK: the pages


def run_sign_in(binary, pairs):
    samples = Samples()
    rotation = iter(DEMO_USERS * 100)
    lives = -(-pairs // PAIRS_PER_LIFE)
    done = 0
    for _ in range(lives):
        with Server(binary) as server:
            session, csrf = browser(server, "/sign-in")
            url = server.base + "/sign-in"

            def one(kind, measured):
                username = next(rotation) if kind == "existing" else unknown_username()
                data = {"username": username, "password": "not-the-password-" + secrets.token_hex(4),
                        "csrf_token": csrf}
                ms, response = timed_post(session, url, data)
                if measured:
                    record("sign-in", samples, kind, ms, response, 401, typed=(username,))

            done += alternate(one, min(PAIRS_PER_LIFE, pairs - done))
    return samples


def alternate(one, pairs):
    """A warm-up pair, untimed, then `pairs` timed pairs of `one(kind, measured)` in ABBA order; answers `pairs`."""
    for kind in ("existing", "unknown"):
        one(kind, False)
    for first in abba(pairs):
        for kind in (("existing", "unknown") if first else ("unknown", "existing")):
            one(kind, True)
    return pairs


def run_forgot_password(binary, pairs):
    """Each life: every demo username once (a reset written), then each again inside the quiet minute."""
    if not os.environ.get("CAREBOX_SMTP_URL"):
        raise SystemExit("forgot-password needs email on: set CAREBOX_SMTP_URL (bench/enumeration starts one)")
    samples = Samples()
    per_life = 2 * len(DEMO_USERS)
    lives = -(-pairs // per_life)
    done = 0
    for _ in range(lives):
        with Server(binary) as server:
            session, csrf = browser(server, "/forgot-password")
            url = server.base + "/forgot-password"
            for _ in range(3):  # warm-up, unknown only: a known name would use up its minute
                timed_post(session, url, {"username": unknown_username(), "csrf_token": csrf})
            order = abba(min(per_life, pairs - done))
            for i, first in enumerate(order):
                username = DEMO_USERS[i % len(DEMO_USERS)]
                fresh = i < len(DEMO_USERS)
                for kind in (("existing", "unknown") if first else ("unknown", "existing")):
                    name = username if kind == "existing" else unknown_username()
                    ms, response = timed_post(session, url, {"username": name, "csrf_token": csrf})
                    if record("forgot-password", samples, kind, ms, response, 303) and kind == "existing":
                        samples.times.setdefault("existing, reset written (first in the minute)" if fresh
                                                 else "existing, inside the quiet minute", []).append(ms)
                done += 1
    return samples


def admin_session(server):
    session, csrf = browser(server, "/sign-in")
    response = session.post(server.base + "/sign-in", allow_redirects=False, timeout=60,
                            data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": csrf})
    if response.status_code not in (302, 303):
        raise SystemExit(f"admin sign-in answered {response.status_code}")
    return session


def sam_id(server, admin):
    page = admin.get(server.base + "/administration/people", params={"q": "Sam Rivera"}, timeout=30).text
    for match in re.finditer(r'href="/administration/people/([0-9A-Fa-f-]{36})"[^>]*>([^<]*)', page):
        if "Sam" in match.group(2):
            return match.group(1)
    raise SystemExit("Sam Rivera not found on /administration/people")


def issue_code(server, admin, person):
    page = admin.get(f"{server.base}/administration/people/{person}", timeout=30).text
    form = page[page.index('activation-code"'):]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    version = re.search(r'name="version" value="([^"]+)"', form).group(1)
    response = admin.post(f"{server.base}/administration/people/{person}/activation-code", allow_redirects=False,
                          data={"csrf_token": csrf, "version": version, "delivery": "print"}, timeout=60)
    match = re.search(r'<code id="activation-code">([^<]+)</code>', response.text)
    if response.status_code != 200 or not match:
        raise SystemExit(f"issuing a code answered {response.status_code}")
    return match.group(1)


def run_sign_up(binary, pairs):
    samples = Samples()
    lives = -(-pairs // PAIRS_PER_LIFE)
    done = 0
    for _ in range(lives):
        with Server(binary) as server:
            admin = admin_session(server)
            person = sam_id(server, admin)
            session, csrf = browser(server, "/sign-up")
            url = server.base + "/sign-up"
            state = {"code": None, "uses": 0}

            def one(kind, measured):
                if kind == "existing":
                    if state["code"] is None or state["uses"] >= 4:  # the fifth wrong birth date voids it
                        state["code"], state["uses"] = issue_code(server, admin, person), 0
                    code = state["code"]
                    state["uses"] += 1
                else:
                    code = unknown_code()
                data = {"activation_code": code, "birth_date": "1990-01-01", "username": "",
                        "new_password": "", "confirm_password": "", "csrf_token": csrf}
                ms, response = timed_post(session, url, data)
                if measured:
                    record("sign-up", samples, kind, ms, response, 422, typed=(code,))

            done += alternate(one, min(PAIRS_PER_LIFE, pairs - done))
    return samples


# MARK: report


def quantile(values, q):
    values = sorted(values)
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def row(page, kind, values, reference=None):
    median = statistics.median(values)
    p10, p90 = quantile(values, 0.1), quantile(values, 0.9)
    ratio = f"{median / statistics.median(reference):.2f}" if reference else ""
    spread = f"{(p90 - p10) / median * 100:.0f} %"
    return (f"| {page} | {kind} | {len(values)} | {median:.1f} | {p10:.1f} | {p90:.1f} | {spread} | {ratio} |")


def report(page, samples):
    lines = []
    unknown = samples.times.get("unknown", [])
    for kind in samples.times:
        if kind == "unknown":
            continue
        lines.append(row(page, kind, samples.times[kind], unknown or None))
    if unknown:
        lines.append(row(page, "unknown", unknown))
    same = None
    if "existing" in samples.bodies and "unknown" in samples.bodies:
        same = samples.bodies["existing"] == samples.bodies["unknown"] and len(samples.bodies["existing"]) == 1
    statuses = {kind: samples.statuses.get(kind) for kind in ("existing", "unknown")}
    note = (f"{page}: statuses {statuses}; one and the same answer for both (typed text aside): {same}; "
            f"not timed: {counts.get(page, {}) or 'none'}")
    return lines, note


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=32)
    parser.add_argument("--pages", default="sign-in,forgot-password,sign-up")
    parser.add_argument("--cost", type=int, default=int(os.environ.get("CAREBOX_BCRYPT_COST", "12")))
    args = parser.parse_args()

    os.makedirs(WORK, exist_ok=True)
    source = os.environ.get("BENCH_BIN", os.path.join(ROOT, ".build/debug/carebox"))
    binary = os.path.join(WORK, "carebox")
    shutil.copy2(source, binary + ".new")
    os.replace(binary + ".new", binary)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    kind = "debug" if "/debug/" in source else "release" if "/release/" in source else source

    runners = {"sign-in": run_sign_in, "forgot-password": run_forgot_password, "sign-up": run_sign_up}
    started = time.time()
    table = ["| page | kind | n | median ms | p10 ms | p90 ms | (p90−p10)/median | median ratio to unknown |",
             "|---|---|---|---|---|---|---|---|"]
    notes = []
    for page in args.pages.split(","):
        t0 = time.time()
        print(f"== {page} ({args.pairs} pairs)", file=sys.stderr, flush=True)
        lines, note = report(page, runners[page](binary, args.pairs))
        table += lines
        notes.append(note + f"; {time.time() - t0:.0f} s")
        print("\n".join(lines), file=sys.stderr, flush=True)
    load = open("/proc/loadavg").read().split()[:3]
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(binary)))
    print(f"Commit {commit} (HEAD at the run; the binary may hold uncommitted work), {kind} build ({source}, "
          f"built {built}), bcrypt cost {args.cost}, {os.cpu_count()} cores, "
          f"load average at the end {' '.join(load)}, {time.time() - started:.0f} s in all.\n")
    print("\n".join(table))
    print()
    for note in notes:
        print("- " + note)


if __name__ == "__main__":
    main()
