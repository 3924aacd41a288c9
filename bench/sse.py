"""Memory per idle /events stream, for bench/sse.

Signs in the usernames given on stdin (password carebox-bench), opens idle Server-Sent Events streams on the server at
BASE (process PID), at most five per user (the server's per-user cap), and reads the server's RSS from /proc: before,
with the first streams, with all STREAMS, after a heartbeat period, and after closing them all. The cost per stream
is the slope from the first streams to all of them, so one-time growth (tables, the heartbeat timer) is not counted.
Every stream is read to the end, so nothing waits in the server's socket buffers. Writes a row into RESULTS between
<!-- sse --> markers and prints it.

MODE "events" opens the streams; MODE "listener" opens them on the lean listener (the port in SSE_EVENTS_PORT, which
the server was given as CAREBOX_EVENTS_ADDRESS); MODE "keep-alive" instead opens as many plain connections that each fetch the sign-in
page and then stay open and idle: what any idle HTTP connection costs the server, for comparison.

    python3 bench/sse.py MODE BASE PID STREAMS DATABASE BUILD RESULTS < usernames
"""

import asyncio
import concurrent.futures
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request

mode, base, pid, streams, database, build, results = sys.argv[1:8]
streams, pid = int(streams), int(pid)
warm = min(100, streams // 10)
settle = 30  # longer than one heartbeat period (25 s), so every stream has had its heartbeat and session check
host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
per_user = 5


def rss_kb():
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


def steady_rss_kb():
    """The median of five readings a second apart, once the server has had a moment."""
    readings = []
    for _ in range(5):
        time.sleep(1)
        readings.append(rss_kb())
    return statistics.median(readings)


def sign_in(username):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/sign-in").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": csrf, "username": username, "password": "carebox-bench"}).encode()
    opener.open(urllib.request.Request(base + "/sign-in", data=form)).read()
    return next(c.value for c in jar if c.name == "carebox_session")


class KeepAlive:
    """A connection that fetched the sign-in page and stays open."""

    ended = False

    def __init__(self, _cookie):
        pass

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(host, port)
        self.writer.write(f"GET /sign-in HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"/sign-in answered {head.splitlines()[0].decode()}")
        await self.reader.readexactly(int(re.search(rb"(?i)content-length: (\d+)", head).group(1)))
        self.task = asyncio.create_task(self.drain())

    async def drain(self):
        await self.reader.read(1)
        self.ended = True

    def close(self):
        self.task.cancel()
        self.writer.close()


# What Chromium sends with an EventSource request besides Host, Accept and Cookie, so the server reads a request
# head of a real browser's size (about 700 bytes).
BROWSER_HEADERS = "".join(f"{name}: {value}\r\n" for name, value in [
    ("Connection", "keep-alive"),
    ("Cache-Control", "no-cache"),
    ("sec-ch-ua", '"Chromium";v="131", "Not_A Brand";v="24"'),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"Linux"'),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
                   "Safari/537.36"),
    ("Sec-Fetch-Site", "same-origin"),
    ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Dest", "empty"),
    ("Referer", "http://127.0.0.1/messages"),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Accept-Language", "en-US,en;q=0.9,es;q=0.8"),
])


class Stream:
    port = port

    def __init__(self, cookie):
        self.cookie, self.events, self.ended = cookie, 0, False

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(host, self.port)
        self.writer.write(
            f"GET /events HTTP/1.1\r\nHost: {host}:{self.port}\r\nAccept: text/event-stream\r\n{BROWSER_HEADERS}"
            f"Cookie: carebox_session={self.cookie}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"/events answered {head.splitlines()[0].decode()}")
        # The retry line and the first unread count arrive at once.
        while self.events < 1:
            chunk = await self.reader.read(4096)
            if not chunk:
                raise SystemExit("a stream ended while opening")
            self.events += chunk.count(b"\nevent: ") + chunk.startswith(b"event: ")
        self.task = asyncio.create_task(self.drain())

    async def drain(self):
        while chunk := await self.reader.read(4096):
            if b"event: end" in chunk:
                self.ended = True
        self.ended = True

    def close(self):
        self.task.cancel()
        self.writer.close()


class ListenerStream(Stream):
    """A stream opened on the lean listener."""

    port = int(os.environ.get("SSE_EVENTS_PORT", "0"))


kind = {"events": Stream, "listener": ListenerStream, "keep-alive": KeepAlive}[mode]


async def open_all(cookies, count, opened):
    while len(opened) < count:
        batch = [kind(cookies[(len(opened) + i) // per_user]) for i in range(min(50, count - len(opened)))]
        await asyncio.gather(*(s.open() for s in batch))
        opened.extend(batch)


async def main():
    usernames = [line.strip() for line in sys.stdin if line.strip()]
    needed = -(-streams // per_user)
    if len(usernames) < needed:
        raise SystemExit(f"{streams} streams need {needed} users, got {len(usernames)}")
    if mode != "keep-alive":
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            cookies = list(pool.map(sign_in, usernames[:needed]))
    else:
        cookies = [None] * needed

    # Warm the route up with a few streams opened and closed, then measure from there.
    scratch = []
    await open_all(cookies, 5, scratch)
    for s in scratch:
        s.close()
    # Then one stream for each user, opened and closed one at a time, so that the database's own cache has read what
    # each user's first refresh reads. SQLite's page cache lives in the server process and grows to its bound (2 MB a
    # connection) as new users are looked at: without this, the slope would count it as the streams' memory.
    if mode != "keep-alive":
        for cookie in cookies:
            s = kind(cookie)
            await s.open()
            s.close()
    await asyncio.sleep(1)
    before = await asyncio.to_thread(steady_rss_kb)

    opened = []
    await open_all(cookies, warm, opened)
    with_warm = await asyncio.to_thread(steady_rss_kb)
    started = time.monotonic()
    await open_all(cookies, streams, opened)
    opening = time.monotonic() - started
    with_all = await asyncio.to_thread(steady_rss_kb)
    await asyncio.sleep(settle)
    settled = await asyncio.to_thread(steady_rss_kb)
    ended = sum(s.ended for s in opened)
    for s in opened:
        s.close()
    await asyncio.sleep(5)
    after_close = await asyncio.to_thread(steady_rss_kb)

    slope = (with_all - with_warm) / (streams - warm)
    slope_settled = (settled - with_warm) / (streams - warm)
    mb = lambda kb: f"{kb / 1024:.1f}"
    stamp = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    stamp = (stamp or "unknown") + (" + changes" if dirty else "")
    connection = {"events": "/events stream", "listener": "/events stream, lean listener",
                  "keep-alive": "keep-alive after GET /sign-in"}[mode]
    row = (f"| {database} | {build} | {connection} | {streams} | {mb(before)} | {mb(with_warm)} | {mb(with_all)} | {mb(settled)} | "
           f"{slope:.1f} | {slope_settled:.1f} | {mb(after_close)} | {ended} | {opening:.1f} | {stamp} |")
    print(f"{database} ({build}, {connection}): RSS {mb(before)} MB idle, {mb(with_warm)} with {warm} streams, {mb(with_all)} with "
          f"{streams}, {mb(settled)} after {settle} s; {slope:.1f} KB each ({slope_settled:.1f} after "
          f"{settle} s); {mb(after_close)} MB after closing; {ended} ended by the server")
    write_row(row)


def write_row(row):
    begin, finish = "<!-- sse: the table is written by bench/sse -->", "<!-- /sse -->"
    header = [
        begin,
        "## Idle live-update streams (bench/sse)",
        "",
        *textwrap.wrap(
            "`bench/sse`: signed-in patients (five streams each, the per-user cap) open idle `GET /events` streams "
            "that the client reads to the end; the server's RSS (median of five readings a second apart) before any, "
            f"with the first {warm}, with all, after {settle} s (a heartbeat and session check for every stream), and "
            "5 s after closing them all. KB per connection is the slope from the first connections to all of them; the "
            "second is measured after the heartbeats. For comparison, the same number of plain keep-alive connections "
            "that each fetched the sign-in page, on a server of their own. Each row is the last run of its database, "
            "build and connection.", width=118),
        "",
        "| database | build | connection | count | RSS MB before | with first | with all | after 30 s | KB each | "
        "KB each after 30 s | MB after closing | ended by server | seconds to open | commit |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    try:
        text = open(results).read()
    except FileNotFoundError:
        text = "# Carebox benchmark results\n"
    key = lambda line: [c.strip() for c in line.split("|")[1:4]]
    if begin in text and finish in text:
        head, rest = text.split(begin, 1)
        block, tail = rest.split(finish, 1)
        kept = [l for l in block.splitlines() if l.startswith("| ") and not l.startswith("| database")
                and key(l) != key(row)]
    else:
        # Below the hand-written marker, so bench/run keeps the block when it rewrites the tables above.
        head = text.rstrip("\n") + "\n\n" + ("" if "<!-- written by hand -->" in text else "<!-- written by hand -->\n")
        tail, kept = "\n", []
    with open(results, "w") as f:
        f.write(head + "\n".join(header + sorted(kept + [row])) + "\n" + finish + tail)


asyncio.run(main())
