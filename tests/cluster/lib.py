"""Shared helpers of the cluster test (tests/cluster.sh): a small HTTP client with a cookie jar,
sign-in, the CSRF token, the SMTP sink's maildir, psql and HAProxy's runtime socket.

Python 3 standard library only; every network call has a timeout.
"""

import datetime
import html
import http.client
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse

SLUG = os.environ.get("CLUSTER_SLUG", "acme")
OWNER_EMAIL = os.environ.get("CLUSTER_OWNER_EMAIL", "ada@example.com")
PASSWORD = os.environ.get("CLUSTER_PASSWORD", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# name -> base URL (http://127.0.0.1:port) of each instance, and HAProxy's.
INSTANCES = {
    name: os.environ[f"CLUSTER_URL_{name.upper()}"]
    for name in ("a", "b", "c")
    if f"CLUSTER_URL_{name.upper()}" in os.environ
}
HAPROXY = os.environ.get("CLUSTER_URL_HAPROXY", "")
MAILDIR = os.environ.get("CLUSTER_MAILDIR", "")
HAPROXY_SOCKET = os.environ.get("CLUSTER_HAPROXY_SOCKET", "")

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def location(self):
        return self.headers.get("Location", "")

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<{self.status} {self.location or ''}>"


class Client:
    """One browser: a cookie jar, no redirects followed, a new connection per request."""

    def __init__(self, base, timeout=20.0, name=""):
        self.base = base
        self.timeout = timeout
        self.cookies = {}
        self.csrf = ""
        self.name = name

    def request(self, method, path, form=None, base=None, headers=None):
        url = urllib.parse.urlsplit(base or self.base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=self.timeout)
        try:
            sent = {"Connection": "close", "User-Agent": "cluster-test"}
            if headers:
                sent.update(headers)
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form, doseq=True).encode()
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                pair = cookie.split(";", 1)[0]
                name, _, value = pair.partition("=")
                attributes = cookie.lower()
                if not value or "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value.strip()
            answer = Answer(response.status, response.headers, data)
        finally:
            conn.close()
        found = CSRF.search(answer.text) if answer.status == 200 else None
        if found:
            self.csrf = html.unescape(found.group(1))
        return answer

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        form = dict(form)
        form.setdefault("csrf_token", self.csrf)
        return self.request("POST", path, form=form, **kw)

    def sign_in(self, email=OWNER_EMAIL, password=None, base=None):
        """GET /login (a cookie and a CSRF token), then POST it; the answer to the POST."""
        self.cookies.clear()
        page = self.get("/login", base=base)
        if page.status != 200:
            raise RuntimeError(f"GET /login answered {page.status}")
        return self.post(
            "/login",
            {"email": email, "password": PASSWORD if password is None else password},
            base=base,
        )

    def signed_in(self, email=OWNER_EMAIL, password=None, attempts=5):
        """Signs in (retrying a few times) and reads a page holding the session's CSRF token."""
        last = None
        for _ in range(attempts):
            try:
                answer = self.sign_in(email, password)
                if answer.status == 303:
                    page = self.get(f"/w/{SLUG}/users") if email == OWNER_EMAIL else self.get("/me")
                    if page.status == 200 and self.csrf:
                        return self
                    last = f"page after sign-in answered {page.status}"
                else:
                    last = f"POST /login answered {answer.status}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.5)
        raise RuntimeError(f"cannot sign in as {email} through {self.base}: {last}")


def psql_json(sql, url=None):
    """Runs a query whose single result is one JSON value; returns it parsed."""
    out = subprocess.run(
        ["psql", url or DATABASE_URL, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    return json.loads(out) if out else None


def sql_list(values):
    """A SQL array literal of plain strings (emails and role names only: no quotes in them)."""
    for v in values:
        if "'" in v or "\\" in v:
            raise ValueError(v)
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]::text[]" if values else "ARRAY[]::text[]"


def maildir_messages(folder=None):
    """Every message in the sink's maildir as (file name, recipients, raw text)."""
    folder = folder or MAILDIR
    found = []
    for sub in ("new", "cur"):
        path = os.path.join(folder, sub)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            try:
                with open(os.path.join(path, name), encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            recipients = []
            for line in text.splitlines():
                if not line.strip():
                    break  # end of the headers
                if line.lower().startswith("x-rcptto:"):
                    recipients += [r.strip().lower() for r in line.split(":", 1)[1].split(",")]
            found.append((name, recipients, text))
    return found


def link_token(message, prefix="/invite/"):
    text = message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
    start = text.index(prefix) + len(prefix)
    token = ""
    for ch in text[start:]:
        if ch.isalnum() or ch in "-_":
            token += ch
        else:
            break
    return token


def wait_for_mail(recipient, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, recipients, text in maildir_messages():
            if recipient.lower() in recipients:
                return text
        time.sleep(0.2)
    raise RuntimeError(f"no email to {recipient} within {timeout:.0f} s")


def haproxy_command(command, timeout=5.0):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(HAPROXY_SOCKET)
        s.sendall((command + "\n").encode())
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode()


def haproxy_states(backend="instances"):
    """{server name: status} as HAProxy sees it now (UP, DOWN, UP 1/2, …)."""
    text = haproxy_command("show stat")
    lines = text.splitlines()
    header = lines[0].lstrip("# ").split(",")
    states = {}
    for line in lines[1:]:
        fields = line.split(",")
        if len(fields) < len(header):
            continue
        row = dict(zip(header, fields))
        if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND"):
            states[row["svname"]] = row["status"]
    return states


def parse_haproxy_log(path):
    """HAProxy's log (`format iso`, see haproxy.cfg.in's log-format): the request lines, by
    X-Load-Id and in order, and the health checks' state changes as (time, server, UP/DOWN)."""
    by_id, lines, changes = {}, [], []
    request = re.compile(
        r"REQ (?P<t>[\d.]+) (?P<server>\S+) (?P<status>-?\d+) (?P<tsc>\S+) (?P<retries>\S+) "
        r"(?P<ta>-?\d+) (?P<method>\S+) (?P<uri>\S+) \{(?P<load_id>[^}]*)\}"
    )
    change = re.compile(r"^(?P<when>\S+) .*Server \S+/(?P<server>\w+) is (?P<state>UP|DOWN)")
    if not os.path.exists(path):
        return by_id, lines, changes
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            m = request.search(raw)
            if m:
                entry = m.groupdict()
                entry["t"] = float(entry["t"])
                entry["status"] = int(entry["status"])
                entry["ta"] = int(entry["ta"])
                lines.append(entry)
                if entry["load_id"] and entry["load_id"] != "-":
                    by_id[entry["load_id"]] = entry
                continue
            m = change.search(raw)
            if m:
                try:
                    when = datetime.datetime.fromisoformat(m.group("when")).timestamp()
                except ValueError:
                    when = None
                changes.append((when, m.group("server"), m.group("state")))
    return by_id, lines, changes


def instance_request_lines(path):
    """The request lines (JSON, target "request") of an instance's log."""
    found = []
    if not os.path.exists(path):
        return found
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            raw = raw.strip()
            if not raw.startswith("{"):
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if "status" in line and "route" in line:
                found.append(line)
    return found


def instance_problems(path):
    """Lines of an instance's log at ERROR level, and panics."""
    found = []
    if not os.path.exists(path):
        return found
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            if '"level":"ERROR"' in raw or "panicked" in raw:
                found.append(raw.strip())
    return found


def report(name, ok, details):
    print(f"{'PASS' if ok else 'FAIL'} {name}: {details}", flush=True)
    return ok
