"""Mixed load through HAProxy for the cluster test: a few workers, each signed in as the owner,
loop over page views, invitations, role changes and sign-ins until a fixed duration has passed
(or a stop file appears, bounded by --max-duration). Every request carries an `X-Load-Id` header
(HAProxy logs it, so each answer can be traced to the instance that served it) and is written to
the results file with its timing and answer. Nothing here judges: tests/cluster/steps.py check-load
does.

    python3 tests/cluster/load.py --phase kill --duration 30 --out results.json
"""

import argparse
import json
import random
import threading
import time

import lib

ROLE_NAMES = {"member": "Member", "auditor": "Auditor", "admin": "Admin"}
PAGES = [
    "/w/{slug}/users",
    "/w/{slug}/users?q=rc-",
    "/w/{slug}/users/{member}",
    "/w/{slug}/users/{member}/role",
    "/w/{slug}/audit",
    "/w/{slug}/groups",
    "/me",
]


def targets():
    """The role-change targets (rc-N@example.com) with their membership id and current role."""
    rows = lib.psql_json(
        "SELECT coalesce(json_agg(json_build_object('id', m.id, 'email', a.email, 'role', r.key) "
        "ORDER BY m.id), '[]') FROM memberships m JOIN accounts a ON a.id = m.account_id "
        "JOIN roles r ON r.id = m.role_id JOIN workspaces w ON w.id = m.workspace_id "
        f"WHERE w.slug = '{lib.SLUG}' AND a.email LIKE 'rc-%@example.com'"
    )
    return rows


class Worker(threading.Thread):
    def __init__(self, number, phase, mine, deadline, stop_file, results, lock, mix):
        super().__init__(daemon=True)
        self.number = number
        self.phase = phase
        self.mine = {t["id"]: dict(t) for t in mine}
        self.deadline = deadline
        self.stop_file = stop_file
        self.results = results
        self.lock = lock
        self.mix = mix
        self.rng = random.Random(f"{phase}-{number}")
        self.count = 0
        self.client = None
        self.error = None

    def stopped(self):
        if time.time() >= self.deadline:
            return True
        if self.stop_file:
            try:
                with open(self.stop_file):
                    return True
            except OSError:
                return False
        return False

    def send(self, client, kind, method, path, expect, form=None, **extra):
        self.count += 1
        load_id = f"{self.phase}-{self.number}-{self.count}"
        record = {
            "id": load_id,
            "worker": self.number,
            "kind": kind,
            "method": method,
            "path": path,
            "expect": expect,
            "t0": time.time(),
            **extra,
        }
        try:
            headers = {"X-Load-Id": load_id}
            if method == "GET":
                answer = client.get(path, headers=headers)
            else:
                answer = client.post(path, form or {}, headers=headers)
            record["status"] = answer.status
            record["location"] = answer.location
            if answer.status >= 500:
                record["body"] = answer.text[:300]
        except Exception as e:  # connection refused, reset, timeout: recorded, never raised
            answer = None
            record["status"] = None
            record["error"] = f"{type(e).__name__}: {e}"
        record["t1"] = time.time()
        with self.lock:
            self.results.append(record)
        return answer

    def run(self):
        try:
            self.client = lib.Client(lib.HAPROXY, timeout=20.0).signed_in()
        except Exception as e:
            self.error = f"worker {self.number} could not sign in: {e}"
            self.ready.set()
            return
        self.ready.set()
        self.go.wait(timeout=60)
        kinds, weights = zip(*self.mix)
        while not self.stopped():
            kind = self.rng.choices(kinds, weights)[0]
            if kind == "page":
                self.page()
            elif kind == "invite":
                self.invite()
            elif kind == "role" and self.mine:
                self.role()
            elif kind == "sign-in":
                self.sign_in()
            time.sleep(self.rng.uniform(0.02, 0.08))

    def page(self):
        member = self.rng.choice(self.all_members) if self.all_members else 0
        path = self.rng.choice(PAGES).format(slug=lib.SLUG, member=member)
        self.send(self.client, "page", "GET", path, 200)

    def invite(self):
        email = f"load-{self.phase}-{self.number}-{self.count + 1}@example.com"
        self.send(
            self.client,
            "invite",
            "POST",
            f"/w/{lib.SLUG}/invitations",
            303,
            {"emails": email, "role": "member"},
            email=email,
        )

    def role(self):
        target = self.mine[self.rng.choice(sorted(self.mine))]
        new = self.rng.choice([r for r in ROLE_NAMES if r != target["role"]])
        answer = self.send(
            self.client,
            "role",
            "POST",
            f"/w/{lib.SLUG}/users/{target['id']}/role",
            303,
            {"role": new},
            email=target["email"],
            role=ROLE_NAMES[new],
        )
        if answer is not None and answer.status == 303:
            target["role"] = new
        else:
            # Unknown outcome: this target's role is no longer known; leave it alone.
            del self.mine[target["id"]]

    def sign_in(self):
        browser = lib.Client(lib.HAPROXY, timeout=20.0)
        page = self.send(browser, "login-page", "GET", "/login", 200)
        if page is None or page.status != 200:
            return
        self.send(
            browser,
            "sign-in",
            "POST",
            "/login",
            303,
            {"email": lib.OWNER_EMAIL, "password": lib.PASSWORD},
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", required=True)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--until-file", default="")
    parser.add_argument("--max-duration", type=float, default=240.0)
    parser.add_argument("--started-file", default="", help="written once the load runs")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    everyone = targets()
    members = [t["id"] for t in everyone]
    mix = [("page", 50), ("invite", 20), ("role", 20), ("sign-in", 10)]
    results, lock = [], threading.Lock()
    go = threading.Event()
    workers = []
    for n in range(args.workers):
        mine = [t for i, t in enumerate(everyone) if i % args.workers == n]
        w = Worker(n, args.phase, mine, 0, args.until_file, results, lock, mix)
        w.ready, w.go, w.all_members = threading.Event(), go, members
        workers.append(w)
        w.start()
    for w in workers:
        w.ready.wait(timeout=60)
    failed = [w.error for w in workers if w.error]
    if failed:
        raise SystemExit("; ".join(failed))
    marker = lib.psql_json("SELECT coalesce(max(id), 0) FROM audit_events")
    start = time.time()
    deadline = start + (args.max_duration if args.until_file else args.duration)
    for w in workers:
        w.deadline = deadline
    go.set()
    if args.started_file:
        with open(args.started_file, "w") as f:
            f.write(f"{start}\n")
    for w in workers:
        w.join(timeout=deadline - time.time() + 30)
    end = time.time()
    with lock:
        done = sorted(results, key=lambda r: r["t0"])
    with open(args.out, "w") as f:
        json.dump(
            {
                "phase": args.phase,
                "audit_marker": marker,
                "start": start,
                "end": end,
                "workers": args.workers,
                "requests": done,
            },
            f,
        )
    print(f"load {args.phase}: {len(done)} requests in {end - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
