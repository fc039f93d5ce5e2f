"""The steps and checks of the cluster test, one subcommand each; tests/cluster.sh runs them and
owns every process (instances, HAProxy, the SMTP sink). Each check prints one PASS/FAIL line
with its numbers and exits non-zero on a failure.

    python3 tests/cluster/steps.py people | consistency | throttle | invite-many | mail-failed
        | mail-check | graceful | stops-check | check-load | outbox-check | wait-haproxy
        | haproxy-set   (see --help of each)
"""

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

import lib

VICTIM = "victim@example.com"
GRACE = "grace@example.com"
ROLE_TARGETS = 24


def member_id(email):
    return lib.psql_json(
        "SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id "
        f"JOIN workspaces w ON w.id = m.workspace_id WHERE w.slug = '{lib.SLUG}' "
        f"AND lower(a.email) = '{email}'"
    )


def expect(answer, status, what):
    if answer.status != status:
        raise SystemExit(f"{what}: expected {status}, got {answer.status} {answer.location} "
                         f"{answer.text[:300]!r}")
    return answer


def wait_outbox_sent(timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = lib.psql_json("SELECT count(*) FROM outbox_emails WHERE state <> 'sent'")
        if left == 0:
            return
        time.sleep(0.5)
    raise SystemExit(f"the outbox still holds unsent emails after {timeout:.0f} s")


# --- setup -----------------------------------------------------------------------------------

def people(_args):
    """Invites (through HAProxy) an Auditor and a Member who accept, and the role-change targets
    of the load (pending invitations rc-N@example.com); waits until every email went out."""
    owner = lib.Client(lib.HAPROXY).signed_in()
    for email, role in ((VICTIM, "auditor"), (GRACE, "member")):
        expect(owner.post(f"/w/{lib.SLUG}/invitations", {"emails": email, "role": role}), 303,
               f"invite {email}")
    targets = "\n".join(f"rc-{n}@example.com" for n in range(1, ROLE_TARGETS + 1))
    expect(owner.post(f"/w/{lib.SLUG}/invitations", {"emails": targets, "role": "member"}), 303,
           "invite the role-change targets")
    for email, first in ((VICTIM, "Victor"), (GRACE, "Grace")):
        token = lib.link_token(lib.wait_for_mail(email))
        browser = lib.Client(lib.HAPROXY)
        expect(browser.get(f"/invite/{token}"), 200, f"{email}'s invitation page")
        expect(browser.post(f"/invite/{token}", {"first_name": first, "last_name": "Tester",
                                                 "password": lib.PASSWORD}), 303,
               f"{email} accepts")
    wait_outbox_sent(60)
    print(f"setup: {VICTIM} (Auditor) and {GRACE} (Member) joined; {ROLE_TARGETS} pending "
          "invitations to change roles of", flush=True)


# --- scenario 1 ------------------------------------------------------------------------------

def consistency(_args):
    a, b, c = (lib.INSTANCES[n] for n in "abc")
    ok = True
    # The owner's one session, used on every instance (sessions live in the database).
    owner = lib.Client(a).signed_in()
    victim = lib.Client(b).signed_in(VICTIM)
    victim_id, grace_id = member_id(VICTIM), member_id(GRACE)
    before = victim.get(f"/w/{lib.SLUG}/users", base=c)
    suspended = owner.post(f"/w/{lib.SLUG}/users/{victim_id}/suspend",
                           {"reason": "cluster test"}, base=a)
    after = victim.get(f"/w/{lib.SLUG}/users", base=c)
    refused = after.status == 403 or (after.status in (302, 303)
                                      and after.location.startswith("/login"))
    ok &= lib.report(
        "scenario 1a (suspend through A, refused through C)",
        before.status == 200 and suspended.status == 303 and refused,
        f"victim's page through C before: {before.status}; suspend through A: "
        f"{suspended.status}; victim's next request through C: {after.status} "
        f"{after.location}",
    )
    grace = lib.Client(a).signed_in(GRACE)
    as_member = grace.get(f"/w/{lib.SLUG}/users", base=a)
    changed = owner.post(f"/w/{lib.SLUG}/users/{grace_id}/role", {"role": "auditor"}, base=b)
    shown = owner.get(f"/w/{lib.SLUG}/users/{grace_id}/role", base=a)
    listed = owner.get(f"/w/{lib.SLUG}/users?q=grace", base=a)
    as_auditor = grace.get(f"/w/{lib.SLUG}/users", base=a)
    selected = 'value="auditor" selected' in shown.text
    ok &= lib.report(
        "scenario 1b (role change through B, seen on A)",
        as_member.status == 303 and changed.status == 303 and shown.status == 200 and selected
        and listed.status == 200 and "Auditor" in listed.text and as_auditor.status == 200,
        f"grace's users list through A as Member: {as_member.status} {as_member.location}; "
        f"role change through B: {changed.status}; A's role tab shows Auditor selected: "
        f"{selected}; A's users list names Auditor: {'Auditor' in listed.text}; grace's users "
        f"list through A right after: {as_auditor.status}",
    )
    sys.exit(0 if ok else 1)


def throttle(_args):
    """Wrong passwords for one account through A, B, C in turn: the failures add up to a pause
    that every instance enforces (README: after 5 consecutive failures each further attempt
    waits 1 s, 2 s, 4 s …; during the wait every attempt, the right password too, answers 429)."""
    names = ["a", "b", "c"]
    sequence, failures, attempts = [], 0, 0
    while failures < 7 and attempts < 25:
        name = names[attempts % 3]
        attempts += 1
        answer = lib.Client(lib.INSTANCES[name]).sign_in(GRACE, "not-the-password-42")
        sequence.append(f"{name}:{answer.status}")
        if answer.status == 401:
            failures += 1
        elif answer.status == 429:
            wait = min(float(answer.headers.get("Retry-After", "1")), 5.0)
            time.sleep(wait)
        else:
            break
    # Right away, the right password through each instance: paused everywhere.
    paused = []
    for name in names:
        answer = lib.Client(lib.INSTANCES[name]).sign_in(GRACE)
        paused.append((name, answer.status, answer.headers.get("Retry-After"),
                       "signing in to this account is paused" in answer.text))
    account = lib.psql_json(f"SELECT id FROM accounts WHERE email = '{GRACE}'")
    counter = lib.psql_json(
        f"SELECT row_to_json(t) FROM sign_in_throttles t WHERE key = 'account:{account}'")
    pauses = lib.psql_json(
        "SELECT count(*) FROM audit_events WHERE action = 'account.sign_in_paused' "
        f"AND target_label = '{GRACE}'")
    first_five = [s.split(":")[1] for s in sequence[:5]]
    ok = (first_five == ["401"] * 5 and failures == 7
          and all(s == 429 and ra and said for _, s, ra, said in paused)
          and counter is not None and counter["failures"] == 7 and pauses >= 1)
    lib.report(
        "throttling across instances",
        ok,
        f"wrong passwords through A,B,C in turn: {' '.join(sequence)}; the right password "
        f"right after: {', '.join(f'{n}:{s} (Retry-After {ra}, says paused: {said})' for n, s, ra, said in paused)}; "
        f"stored consecutive failures: {counter and counter['failures']}; "
        f"'sign-in paused' events: {pauses}",
    )
    sys.exit(0 if ok else 1)


# --- scenario 2 ------------------------------------------------------------------------------

def invite_many(args):
    """`count` invitations, one POST each, spread over A, B and C directly (two threads each)."""
    emails = [f"mail-{args.tag}-{n}@example.com" for n in range(args.count)]
    names = ["a", "b", "c"]
    answers, lock = {}, threading.Lock()

    def send(name, share):
        client = lib.Client(lib.INSTANCES[name]).signed_in()
        for email in share:
            t0 = time.monotonic()
            try:
                status = client.post(f"/w/{lib.SLUG}/invitations",
                                     {"emails": email, "role": "member"}).status
            except OSError as e:
                status = repr(e)
            with lock:
                answers[email] = (name, status, time.monotonic() - t0)

    threads = []
    for i, name in enumerate(names):
        for half in range(2):
            share = [e for n, e in enumerate(emails) if n % 6 == 2 * i + half]
            threads.append(threading.Thread(target=send, args=(name, share), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    per = {n: sum(1 for v in answers.values() if v[0] == n and v[1] == 303) for n in names}
    bad = {e: v for e, v in answers.items() if v[1] != 303}
    slowest = max((v[2] for v in answers.values()), default=0)
    ok = len(answers) == args.count and not bad
    lib.report(
        "scenario 2 invitations sent while SMTP is down",
        ok,
        f"{sum(per.values())}/{args.count} answered 303 (A {per['a']}, B {per['b']}, "
        f"C {per['c']}); slowest {slowest:.2f} s; other answers: {bad or 'none'}",
    )
    sys.exit(0 if ok else 1)


def outbox_of(tag):
    return lib.psql_json(
        "SELECT coalesce(json_agg(json_build_object('to', to_address, 'state', state, "
        "'attempts', attempts, 'error', last_error)), '[]') FROM outbox_emails "
        f"WHERE to_address LIKE 'mail-{tag}-%'")


def mail_failed(args):
    """Waits until every one of the invitations' emails was tried once and failed (SMTP down)."""
    deadline = time.monotonic() + args.timeout
    rows = []
    while time.monotonic() < deadline:
        rows = outbox_of(args.tag)
        if len(rows) == args.count and all(r["attempts"] >= 1 for r in rows):
            break
        time.sleep(0.5)
    tried = sum(1 for r in rows if r["attempts"] >= 1)
    sent = sum(1 for r in rows if r["state"] == "sent")
    ok = len(rows) == args.count and tried == args.count and sent == 0
    errors = sorted({(r["error"] or "")[:80] for r in rows if r["error"]})
    lib.report(
        "scenario 2 emails held back while SMTP is down",
        ok,
        f"{len(rows)} queued, {tried} tried and failed, {sent} sent; errors: {errors[:2]}",
    )
    sys.exit(0 if ok else 1)


def mail_check(args):
    """After the sink is back: each of the `count` recipients gets exactly one message."""
    wanted = {f"mail-{args.tag}-{n}@example.com" for n in range(args.count)}
    started = time.monotonic()
    deadline = started + args.timeout
    delivered = 0
    while time.monotonic() < deadline:
        rows = outbox_of(args.tag)
        got = {r for _, rs, _ in lib.maildir_messages() for r in rs if r in wanted}
        delivered = len(got)
        if delivered == len(wanted) and all(r["state"] == "sent" for r in rows):
            break
        time.sleep(1)
    waited = time.monotonic() - started
    time.sleep(args.settle)  # a late duplicate would show now (the workers poll every 5 s)
    counts = {e: 0 for e in wanted}
    for _, recipients, _ in lib.maildir_messages():
        for r in recipients:
            if r in counts:
                counts[r] += 1
    rows = outbox_of(args.tag)
    attempts = {}
    for r in rows:
        attempts[r["attempts"]] = attempts.get(r["attempts"], 0) + 1
    once = sum(1 for v in counts.values() if v == 1)
    missing = sorted(e for e, v in counts.items() if v == 0)
    twice = {e: v for e, v in counts.items() if v > 1}
    ok = once == len(wanted) and not missing and not twice
    lib.report(
        "scenario 2 each email delivered exactly once",
        ok,
        f"{len(wanted)} recipients: {once} got exactly 1 message, {len(missing)} none, "
        f"{len(twice)} more than one {dict(list(twice.items())[:5]) or ''}; delivered "
        f"{waited:.1f} s after the sink came back; outbox attempts per email: "
        f"{dict(sorted(attempts.items()))}; states: "
        f"{sorted({r['state'] for r in rows})}",
    )
    sys.exit(0 if ok else 1)


# --- scenario 4 helpers ----------------------------------------------------------------------

def graceful(args):
    """Sends SIGTERM to an instance and records, 0.2 s later, what /readyz answers on a
    keep-alive connection opened before and what a new connection gets (JSON on stdout; judged
    by stops-check)."""
    url = urllib.parse.urlsplit(lib.INSTANCES[args.name])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", "/readyz")
    first = conn.getresponse()
    first_body = first.read().decode()
    os.kill(args.pid, signal.SIGTERM)
    signalled = time.time()
    time.sleep(0.2)
    try:
        conn.request("GET", "/readyz")
        answer = conn.getresponse()
        readyz = (answer.status, answer.read().decode().strip())
    except (OSError, http.client.HTTPException) as e:
        readyz = (None, f"{type(e).__name__}")
    conn.close()
    try:
        fresh = http.client.HTTPConnection(url.hostname, url.port, timeout=3)
        fresh.request("GET", "/readyz")
        new_connection = str(fresh.getresponse().status)
        fresh.close()
    except (OSError, http.client.HTTPException) as e:
        new_connection = type(e).__name__
    print(json.dumps({"signalled": signalled, "before": [first.status, first_body],
                      "readyz": readyz, "new_connection": new_connection}), flush=True)


def stops_check(args):
    """Judges the rolling restart's stops (one JSON line each, written by tests/cluster.sh):
    readiness lost at once (a new connection is refused or /readyz answers 503), requests in
    flight at SIGTERM finished, exit 0 within 30 s; with HAProxy's view of each."""
    with open(args.stops) as f:
        stops = [json.loads(line) for line in f if line.strip()]
    with open(args.results) as f:
        expected = {r["id"]: r["expect"] for r in json.load(f)["requests"]}
    _, lines, changes = lib.parse_haproxy_log(args.haproxy_log)
    ok, words = True, []
    for stop in stops:
        name, at = stop["name"], stop["signalled"]
        refused = stop["new_connection"] == "ConnectionRefusedError"
        readyz_503 = stop["readyz"][0] == 503
        in_flight = [h for h in lines if h["server"] == f"instances/{name}"
                     and h["t"] <= at <= h["t"] + max(h["ta"], 0) / 1000.0]
        finished = [h for h in in_flight
                    if h["status"] == expected.get(h["load_id"], h["status"]) and h["status"] < 500
                    and h["tsc"] == "----"]
        down = next((w - at for w, server, state in changes
                     if server == name and state == "DOWN" and w and w >= at - 0.1), None)
        good = ((refused or readyz_503) and stop["rc"] == "0" and stop["took"] <= 30
                and len(finished) == len(in_flight))
        ok &= good
        readyz = ("503 " + stop["readyz"][1]) if readyz_503 else (
            "not reachable: the connection opened before SIGTERM was closed "
            f"({stop['readyz'][1]})")
        words.append(
            f"{name}: after SIGTERM a new connection is "
            f"{'refused' if refused else 'answered ' + stop['new_connection']}, /readyz {readyz}; "
            f"{len(finished)}/{len(in_flight)} requests in flight at SIGTERM finished; exit "
            f"{stop['rc']} after {stop['took']:.1f} s; HAProxy marked it DOWN "
            + (f"{down:.1f} s after SIGTERM" if down is not None else "(not logged)"))
    lib.report("scenario 4 graceful stops", ok and len(stops) == 3, "; ".join(words))
    sys.exit(0 if ok and len(stops) == 3 else 1)


def outbox_check(args):
    """After the kill and the rolling restart: every email is sent except those the killed
    instance had claimed (leased for 15 minutes, then sent again: README "Email"); none is held
    back by a graceful stop; nobody got a message twice."""
    lease = 900
    deadline = time.monotonic() + args.timeout
    due = None
    while time.monotonic() < deadline:
        due = lib.psql_json(
            "SELECT count(*) FROM outbox_emails WHERE state = 'queued' "
            "AND next_attempt_at <= (now() AT TIME ZONE 'UTC')")
        if due == 0:
            break
        time.sleep(0.5)
    rows = lib.psql_json(
        "SELECT coalesce(json_agg(json_build_object('to', lower(to_address), 'state', state, "
        "'attempts', attempts, 'until', extract(epoch FROM next_attempt_at))), '[]') "
        "FROM outbox_emails")
    received = {}
    for _, recipients, _ in lib.maildir_messages():
        for r in recipients:
            received[r] = received.get(r, 0) + 1
    states = {}
    for r in rows:
        states[r["state"]] = states.get(r["state"], 0) + 1
    leased = [r for r in rows if r["state"] == "queued"]
    by_kill = [r for r in leased
               if args.kill_time - 30 <= float(r["until"]) - lease <= args.kill_time + 0.5]
    held = [r for r in leased if r not in by_kill]
    by_kill_delivered = [r for r in by_kill if received.get(r["to"], 0) >= 1]
    sent_not_once = [r for r in rows if r["state"] == "sent" and received.get(r["to"], 0) != 1]
    twice = {to: n for to, n in received.items() if n > 1}
    ok = due == 0 and not held and not sent_not_once and not twice and not states.get("failed")
    lib.report(
        "emails after the kill and the rolling restart",
        ok,
        f"{len(rows)} emails: {states}; due but unsent: {due}; leased by the killed instance "
        f"(sent again when the lease ends, 15 min): {len(by_kill)}, of which already delivered "
        f"(would arrive twice: at-least-once after kill -9): {len(by_kill_delivered)}; held back "
        f"by a graceful stop: {len(held)}; sent but not received exactly once: "
        f"{len(sent_not_once)}; recipients with more than one message: {len(twice)}",
    )
    for r in (held + sent_not_once)[:10]:
        print(f"  {r} received {received.get(r['to'], 0)}")
    sys.exit(0 if ok else 1)


def haproxy_set(args):
    answer = lib.haproxy_command(f"set server instances/{args.server} state {args.state}")
    if answer.strip():
        raise SystemExit(f"HAProxy: {answer.strip()}")


def wait_haproxy(args):
    deadline = time.monotonic() + args.timeout
    started = time.monotonic()
    state = None
    while time.monotonic() < deadline:
        try:
            state = lib.haproxy_states().get(args.server)
        except OSError as e:
            state = repr(e)
        if state and state.split()[0] == args.state and (args.state != "UP" or state == "UP"):
            print(f"{time.monotonic() - started:.1f}")
            return
        time.sleep(0.1)
    raise SystemExit(f"HAProxy sees {args.server} as {state!r}, not {args.state}, after "
                     f"{args.timeout:.0f} s")


# --- scenarios 3 and 4: what the load did ------------------------------------------------------

def check_load(args):
    with open(args.results) as f:
        run = json.load(f)
    requests = run["requests"]
    by_id, lines, changes = lib.parse_haproxy_log(args.haproxy_log)
    kill = args.kill_time
    ok_requests, in_flight, unexpected = [], [], []
    for r in requests:
        r["haproxy"] = by_id.get(r["id"])
        if r["status"] == r["expect"]:
            ok_requests.append(r)
            continue
        h = r["haproxy"]
        at_kill = (
            kill is not None
            and r["method"] != "GET"
            and h is not None
            and h["server"].endswith("/" + args.killed)
            and r["t0"] <= kill + 1.0
            and r["t1"] >= kill - 0.5
        )
        (in_flight if at_kill else unexpected).append(r)
    kinds = {}
    for r in requests:
        k = kinds.setdefault(r["kind"], [0, 0])
        k[0] += 1
        k[1] += r["status"] == r["expect"]

    marker = run["audit_marker"]
    failures = []

    # Invitations answered 303: their row, their pending membership and their event.
    invited = [r["email"] for r in ok_requests if r["kind"] == "invite"]
    unsure = [r["email"] for r in in_flight + unexpected if r["kind"] == "invite"]
    rows = lib.psql_json(
        "SELECT coalesce(json_object_agg(e, json_build_object("
        "'invitation', EXISTS (SELECT 1 FROM invitations i WHERE i.email = e), "
        "'membership', EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id "
        "  WHERE a.email = e AND m.status = 'invited'), "
        "'events', (SELECT count(*) FROM audit_events v WHERE v.action = 'member.invited' "
        f"  AND v.target_label = e AND v.id > {marker}))), '{{}}') "
        f"FROM unnest({lib.sql_list(invited + unsure)}) AS e")
    for email in invited:
        row = rows.get(email, {})
        if not (row.get("invitation") and row.get("membership") and row.get("events") == 1):
            failures.append(f"invitation of {email} answered 303 but stored {row}")
    unsure_invites = {e: bool(rows.get(e, {}).get("invitation")) for e in unsure}

    # Role changes answered 303: one member.role_changed event each (per target and new role).
    wanted = {}
    for r in ok_requests:
        if r["kind"] == "role":
            wanted[(r["email"], r["role"])] = wanted.get((r["email"], r["role"]), 0) + 1
    maybe = {}
    for r in in_flight + unexpected:
        if r["kind"] == "role":
            maybe[(r["email"], r["role"])] = maybe.get((r["email"], r["role"]), 0) + 1
    events = lib.psql_json(
        "SELECT coalesce(json_agg(json_build_array(target_label, after, n)), '[]') FROM ("
        "SELECT target_label, changes::jsonb->'role'->>'after' AS after, count(*) AS n "
        "FROM audit_events WHERE action = 'member.role_changed' "
        f"AND id > {marker} AND target_label LIKE 'rc-%' GROUP BY 1, 2) t")
    found = {(e, role): n for e, role, n in events}
    for key, n in wanted.items():
        if not (n <= found.get(key, 0) <= n + maybe.get(key, 0)):
            failures.append(f"role change {key}: {n} answered 303, {found.get(key, 0)} events")
    for key, n in found.items():
        if key not in wanted and key not in maybe:
            failures.append(f"role change {key}: {n} events but no request answered 303")
    # The final role of each target whose last change was answered 303.
    last = {}
    for r in requests:
        if r["kind"] == "role":
            last[r["email"]] = r
    current = lib.psql_json(
        "SELECT coalesce(json_object_agg(a.email, r.name), '{}') FROM memberships m "
        "JOIN accounts a ON a.id = m.account_id JOIN roles r ON r.id = m.role_id "
        "WHERE a.email LIKE 'rc-%'")
    for email, r in last.items():
        if r["status"] == r["expect"] and current.get(email) != r["role"]:
            failures.append(f"{email}: last change to {r['role']} answered 303, role is "
                            f"{current.get(email)}")

    # Sign-ins answered 303: a session.signed_in event each (the workers' own sign-ins came
    # before the marker).
    signed = sum(1 for r in ok_requests if r["kind"] == "sign-in")
    unsure_signed = sum(1 for r in in_flight + unexpected if r["kind"] == "sign-in")
    sign_events = lib.psql_json(
        "SELECT count(*) FROM audit_events WHERE action = 'session.signed_in' "
        f"AND target_label = '{lib.OWNER_EMAIL}' AND id > {marker}")
    if not (signed <= sign_events <= signed + unsure_signed):
        failures.append(f"{signed} sign-ins answered 303 but {sign_events} events")

    # 5xx answered by an instance (not made up by HAProxy): HAProxy's view during the load, and
    # every instance's own request log over the whole run — but /readyz, whose 503 while an
    # instance stops (and drains) is what tells HAProxy to take it out.
    window = [h for h in lines if run["start"] - 1 <= h["t"] <= run["end"] + 1]
    from_servers = [h for h in window if h["status"] >= 500 and h["tsc"] == "----"]
    instance_5xx, problems = {}, {}
    for path in args.instance_logs:
        name = os.path.basename(path).split(".")[0]
        instance_5xx[name] = sum(1 for line in lib.instance_request_lines(path)
                                 if int(line["status"]) >= 500 and line.get("route") != "/readyz")
        problems[name] = len(lib.instance_problems(path))
    per_server = {}
    for h in window:
        if h["load_id"] and h["load_id"] != "-":
            per_server[h["server"]] = per_server.get(h["server"], 0) + 1
    retried = sum(1 for h in window if h["retries"] not in ("0", "+0"))

    routed_after = []
    down_after = None
    if kill is not None:
        for when, server, state in changes:
            if server == args.killed and state == "DOWN" and when and when >= kill - 1:
                down_after = when - kill
                break
        routed_after = [h for h in window
                        if h["server"].endswith("/" + args.killed) and h["t"] > kill + args.window]

    ok = (not unexpected and not failures and not from_servers
          and not any(instance_5xx.values()) and not routed_after)
    if kill is None:
        ok = ok and not in_flight
    summary = ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in sorted(kinds.items()))
    details = [
        f"{len(requests)} requests in {run['end'] - run['start']:.0f} s by {run['workers']} "
        f"workers (as expected/sent: {summary})",
        f"per instance {dict(sorted(per_server.items()))}, retried by HAProxy {retried}",
        f"failed: {len(unexpected)} unexpected" + (
            f", {len(in_flight)} writes in flight to {args.killed} at the kill" if kill else ""),
        f"writes answered 303 and checked in the database: {len(invited)} invitations "
        f"(row + pending membership + member.invited), {sum(wanted.values())} role changes "
        f"(member.role_changed), {signed} sign-ins (session.signed_in: {sign_events})",
        f"5xx answered by an instance: {len(from_servers)} (HAProxy log), instance logs "
        f"{instance_5xx}; ERROR lines/panics in instance logs {problems}",
    ]
    if kill is not None:
        details.append(
            f"{args.killed} marked DOWN by HAProxy "
            + (f"{down_after:.1f} s after the kill" if down_after is not None else "(not logged)")
            + f"; requests routed to it later than {args.window:.0f} s after the kill: "
            f"{len(routed_after)}")
    lib.report(args.label, ok, "; ".join(details))

    start = run["start"]
    sigterms = []
    if args.stops:
        with open(args.stops) as f:
            sigterms = [(json.loads(x)["name"], json.loads(x)["signalled"]) for x in f if x.strip()]

    def near_sigterm(r):
        h = r["haproxy"] or {}
        for name, at in sigterms:
            if h.get("server") == f"instances/{name}" and abs(h["t"] - at) < 0.1:
                return (f" [reached {name} {1000 * (h['t'] - at):+.0f} ms from its SIGTERM and was "
                        "dropped unanswered: the listener closes at once]")
        return ""

    def show(r):
        h = r["haproxy"] or {}
        return (f"  {r['id']} {r['kind']} {r['method']} {r['path']} -> "
                f"{r['status'] if r['status'] is not None else r.get('error')} "
                f"at {r['t0'] - run['start']:.2f}..{r['t1'] - run['start']:.2f} s"
                + (f" (kill at {kill - start:.2f} s)" if kill else "")
                + f"; HAProxy: {h.get('server', '?')} {h.get('status', '?')} {h.get('tsc', '?')} "
                f"retries {h.get('retries', '?')}"
                + (f"; committed: {unsure_invites.get(r.get('email'))}" if r["kind"] == "invite" else "")
                + (f"; body {r['body'][:120]!r}" if r.get("body") else ""))

    for r in in_flight:
        print("  in flight at the kill (acceptable):" + show(r)[1:])
    for r in unexpected[:20]:
        print("  UNEXPECTED:" + show(r)[1:] + near_sigterm(r))
    for f in failures[:20]:
        print("  DATABASE: " + f)
    for h in from_servers[:10]:
        print(f"  5xx FROM AN INSTANCE: {h}")
    for h in routed_after[:10]:
        print(f"  ROUTED TO THE DEAD INSTANCE: {h}")
    sys.exit(0 if ok else 1)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("people").set_defaults(run=people)
    sub.add_parser("consistency").set_defaults(run=consistency)
    sub.add_parser("throttle").set_defaults(run=throttle)
    p = sub.add_parser("invite-many")
    p.add_argument("--tag", required=True)
    p.add_argument("--count", type=int, default=100)
    p.set_defaults(run=invite_many)
    p = sub.add_parser("mail-failed")
    p.add_argument("--tag", required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(run=mail_failed)
    p = sub.add_parser("mail-check")
    p.add_argument("--tag", required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--timeout", type=float, default=150)
    p.add_argument("--settle", type=float, default=6)
    p.set_defaults(run=mail_check)
    p = sub.add_parser("graceful")
    p.add_argument("--name", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.set_defaults(run=graceful)
    p = sub.add_parser("wait-haproxy")
    p.add_argument("--server", required=True)
    p.add_argument("--state", default="UP")
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(run=wait_haproxy)
    p = sub.add_parser("outbox-check")
    p.add_argument("--kill-time", type=float, required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(run=outbox_check)
    p = sub.add_parser("haproxy-set")
    p.add_argument("--server", required=True)
    p.add_argument("--state", required=True)
    p.set_defaults(run=haproxy_set)
    p = sub.add_parser("stops-check")
    p.add_argument("--stops", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--haproxy-log", required=True)
    p.set_defaults(run=stops_check)
    p = sub.add_parser("check-load")
    p.add_argument("--label", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--haproxy-log", required=True)
    p.add_argument("--instance-logs", nargs="+", default=[])
    p.add_argument("--kill-time", type=float, default=None)
    p.add_argument("--killed", default="")
    p.add_argument("--window", type=float, default=5.0)
    p.add_argument("--stops", default="", help="the rolling restart's stops (SIGTERM times)")
    p.set_defaults(run=check_load)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
