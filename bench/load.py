"""Load and fault test: 50 respondents submit (with double-submits and retries) while the server is
killed and restarted; prints throughput against a bare Flask endpoint and against one that
commits one row per request, p50/p99 and the count check.

    python -m bench.load [--backend sqlite|postgresql|both] [--respondents 50] [--each 8]
"""

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import sqlalchemy as sa

from app.models.collection import digest
from bench.load_wsgi import WRITE_TABLE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The production settings (gunicorn.conf.py), only bound to a free local port.
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", os.path.join(ROOT, "gunicorn.conf.py")]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1 in its own process group, so a kill takes its workers too."""

    def __init__(self, target, ready_path, env, log_path=os.devnull):
        self.target, self.ready_path, self.env, self.log_path = target, ready_path, env, log_path
        self.port, self.process = free_port(), None

    def start(self):
        # The app's JSON request log, as production writes it, goes to a file for the checks.
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                GUNICORN + ["--bind", f"127.0.0.1:{self.port}", self.target],
                cwd=ROOT, env=self.env, start_new_session=True, stderr=log)
        # The master binds at once; ready means a worker has answered.
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.ready_path)
                if conn.getresponse().status < 500:
                    conn.close()
                    return self
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.target} did not start")

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait()


def open_parent_survey():
    """In an app context: one school with an open parent survey; returns (link code, form answers)."""
    from app.extensions import db
    from app.surveys.forms import field_name
    from tests.builders import link_of, make_school, make_survey, make_trust

    school = make_school(make_trust())
    survey = make_survey([school])
    answers = {}
    for question in survey.instrument.questions:
        choices = question.choices()
        if choices:
            answers[field_name(question)] = str(choices[0][0])
        elif question.type == "text":
            answers[field_name(question)] = "Fine, thank you."
    db.session.commit()
    return link_of(survey, school), answers


def prepare_database(url):
    """Migrate, then add one school with an open parent survey; returns (link code, form answers)."""
    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app(SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        code, answers = open_parent_survey()
        db.engine.dispose()
    return code, answers


class Respondent(threading.Thread):
    """Answers `each` times; re-sends a submission 1 in 5 times; retries through a dead server.

    think: mean seconds spent on the form between reading it and sending it (0: at once).
    """

    def __init__(self, port, code, answers, each, deadline, rng, think=0.0):
        super().__init__(daemon=True)
        self.port, self.code, self.answers, self.each = port, code, answers, each
        self.deadline, self.rng, self.think = deadline, rng, think
        self.keys, self.acked, self.errors, self.finished = set(), set(), 0, None
        self.requests, self.posts = [], []  # (finished at, seconds taken)

    def request(self, method, path, body=None, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        self.requests.append((time.time(), elapsed))
        return response, data, elapsed

    def submit(self, key):
        """GET the form (cookie + CSRF token), then POST; True when the thank-you redirect came."""
        from urllib.parse import urlencode

        page, data, _ = self.request("GET", f"/s/{self.code}")
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        token = CSRF.search(data.decode()).group(1)
        if self.think:
            time.sleep(self.think * (0.5 + self.rng.random()))
        body = urlencode({**self.answers, "csrf_token": token, "submission_key": key})
        response, _, elapsed = self.request("POST", f"/s/{self.code}", body, cookie)
        self.posts.append((time.time(), elapsed))
        return response.status == 302 and "thank-you" in response.getheader("Location", "")

    def send_until_acked(self, key):
        while time.time() < self.deadline:
            try:
                if self.submit(key):
                    self.acked.add(key)
                    return
                self.errors += 1
            except (OSError, http.client.HTTPException, AttributeError):
                self.errors += 1  # server down or restarting: same key again shortly
            time.sleep(0.2 + self.rng.random() * 0.3)

    def run(self):
        try:
            for _ in range(self.each):
                if time.time() >= self.deadline:
                    return
                key = uuid.uuid4().hex
                self.keys.add(key)
                self.send_until_acked(key)
                if self.rng.random() < 0.2:
                    self.send_until_acked(key)  # double submit: must store nothing new
        finally:
            self.finished = time.time()


class Hammer(threading.Thread):
    def __init__(self, port, path, until):
        super().__init__(daemon=True)
        self.port, self.path, self.until, self.latencies = port, path, until, []

    def run(self):
        # A connection a request, as the respondents make them, so the two rates compare.
        while time.time() < self.until:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", self.path)
                conn.getresponse().read()
                conn.close()
            except (OSError, http.client.HTTPException):
                continue
            self.latencies.append(time.perf_counter() - started)


def rate(port, path, clients, seconds):
    until = time.time() + seconds
    threads = [Hammer(port, path, until) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(len(t.latencies) for t in threads) / seconds


def percentile(values, q):
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def run(backend, respondents, each, duration, kill_after, think=0.0):
    workdir = tempfile.mkdtemp(prefix="sv-load-")
    pg, servers = None, []
    if backend == "sqlite":
        url = f"sqlite:///{workdir}/load.db"
    else:
        from tests.postgres import PostgresServer

        os.chmod(workdir, 0o777)
        pg = PostgresServer(workdir).start()
        engine = sa.create_engine(pg.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE sv_load"))
        engine.dispose()
        url = pg.url("sv_load")
    try:
        code, answers = prepare_database(url)
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", FLASK_APP="app",
                   RATELIMIT_STORAGE_URI="memory://")
        bare = Server("bench.load_wsgi:bare", "/bare", env)
        servers.append(bare)
        bare.start()
        bare_rate = rate(bare.port, "/bare", respondents, 5)
        bare.stop()
        engine = sa.create_engine(url)
        WRITE_TABLE.create(engine)
        engine.dispose()
        write = Server("bench.load_wsgi:make_write_baseline()", "/write", env)
        servers.append(write)
        write.start()
        write_rate = rate(write.port, "/write", respondents, 5)
        write.stop()

        log_path = os.path.join(workdir, "app.log")
        server = Server("bench.load_wsgi:make_app()", f"/s/{code}", env, log_path).start()
        servers.append(server)
        rng = random.Random(2026)
        deadline = time.time() + duration
        people = [Respondent(server.port, code, answers, each, deadline, random.Random(rng.random()),
                             think) for _ in range(respondents)]
        started = time.time()
        for person in people:
            person.start()
        time.sleep(kill_after)
        server.kill()
        killed_at = time.time() - started
        time.sleep(1)
        server = Server("bench.load_wsgi:make_app()", f"/s/{code}", env, log_path)
        server.port = people[0].port
        servers.append(server)
        server.start()
        for person in people:
            person.join()
        elapsed = time.time() - started
        server.stop()

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            keys = set(conn.scalars(sa.text("SELECT idempotency_key FROM response")))
            rows = conn.scalar(sa.text("SELECT count(*) FROM response"))
        engine.dispose()
        # The database keeps only a hash of each submission key (app.models.collection.digest).
        sent = {digest("response", key) for p in people for key in p.keys}
        acked = {digest("response", key) for p in people for key in p.acked}
        # Throughput and latency in the steady part: before the kill, and while at least three
        # quarters of the respondents are still sending. The count check covers the whole run.
        finished = sorted(p.finished for p in people if p.finished)
        quarter = finished[len(people) // 4] if len(finished) > len(people) // 4 else float("inf")
        window_end = min(started + killed_at, quarter)
        window = window_end - started
        steady = [took for p in people for done, took in p.posts if done < window_end]
        requests = sum(1 for p in people for done, _ in p.requests if done < window_end)
        with open(log_path) as log:
            lines = [line for line in log if line.startswith("{")]
        server_errors = sum(1 for line in lines if '"level": "error"' in line)
        return {
            "backend": backend, "bare_rps": bare_rate, "write_rps": write_rate,
            "app_rps": requests / window, "subs_per_s": len(steady) / window,
            "ratio": requests / window / bare_rate, "write_ratio": requests / window / write_rate,
            "window_s": window, "server_errors": server_errors, "log_lines": len(lines),
            "p50_ms": percentile(steady, 50) * 1000, "p99_ms": percentile(steady, 99) * 1000,
            "keys_sent": len(sent), "acked": len(acked), "stored": rows,
            "lost": len(acked - keys), "duplicated": rows - len(keys),
            "stored_not_sent": len(keys - sent), "unacked": len(sent - acked),
            "retries": sum(p.errors for p in people), "killed_at_s": killed_at, "elapsed_s": elapsed,
        }
    finally:
        for server in servers:
            if server.process is not None and server.process.poll() is None:
                server.kill()
        if pg is not None:
            pg.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--each", type=int, default=12, help="responses per respondent")
    parser.add_argument("--duration", type=float, default=240, help="upper bound in seconds")
    parser.add_argument("--kill-after", type=float, default=15, help="seconds before the kill")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a respondent spends on the form before sending it "
                             "(default 0: every respondent sends at once, the saturation test)")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print("backend     bare req/s  write req/s  app req/s  ratio  vs write  submit/s  p50 ms  "
          "p99 ms  keys  stored  lost  dup  unacked  retries")
    ok = True
    for backend in backends:
        r = run(backend, args.respondents, args.each, args.duration, args.kill_after, args.think)
        print(f"{r['backend']:<11} {r['bare_rps']:>10.0f} {r['write_rps']:>12.0f} "
              f"{r['app_rps']:>10.1f} {r['ratio']:>6.2f} {r['write_ratio']:>9.2f} "
              f"{r['subs_per_s']:>9.1f} {r['p50_ms']:>7.0f} {r['p99_ms']:>7.0f} {r['keys_sent']:>5} "
              f"{r['stored']:>7} {r['lost']:>5} {r['duplicated']:>4} {r['unacked']:>8} "
              f"{r['retries']:>8}   (steady {r['window_s']:.0f} s, killed at "
              f"{r['killed_at_s']:.0f} s, done at {r['elapsed_s']:.0f} s; {r['log_lines']} log "
              f"lines, {r['server_errors']} errors)")
        ok = ok and r["lost"] == r["duplicated"] == r["stored_not_sent"] == r["unacked"] == 0
        ok = ok and r["stored"] == r["keys_sent"]
    print("count check:", "stored == distinct keys sent, 0 lost, 0 duplicated" if ok else
          "FAILED (unacked > 0 means the time bound ran out first: raise --duration)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
