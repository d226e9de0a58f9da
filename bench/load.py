"""Load and fault test: 50 respondents submit (with double-submits and retries) while the server is
killed and restarted; prints throughput against a bare Flask endpoint, p50/p99 and the count check.

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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "3",
            "--threads", "8", "--log-level", "warning"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1 in its own process group, so a kill takes its workers too."""

    def __init__(self, target, ready_path, env):
        self.target, self.ready_path, self.env = target, ready_path, env
        self.port, self.process = free_port(), None

    def start(self):
        self.process = subprocess.Popen(
            GUNICORN + ["--bind", f"127.0.0.1:{self.port}", self.target],
            cwd=ROOT, env=self.env, start_new_session=True)
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


def prepare_database(url):
    """Migrate, then add one school with an open parent survey; returns (link code, form answers)."""
    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.surveys.forms import field_name
    from tests.builders import link_of, make_school, make_survey, make_trust

    app = create_app(SECRET_KEY="bench")
    with app.app_context():
        upgrade()
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
        code = link_of(survey, school)
        db.engine.dispose()
    return code, answers


class Respondent(threading.Thread):
    """Answers `each` times; re-sends a submission 1 in 5 times; retries through a dead server."""

    def __init__(self, port, code, answers, each, deadline, rng):
        super().__init__(daemon=True)
        self.port, self.code, self.answers, self.each = port, code, answers, each
        self.deadline, self.rng = deadline, rng
        self.keys, self.acked, self.latencies, self.errors = set(), set(), [], 0

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
        return response, data, elapsed

    def submit(self, key):
        """GET the form (cookie + CSRF token), then POST; True when the thank-you redirect came."""
        from urllib.parse import urlencode

        page, data, _ = self.request("GET", f"/s/{self.code}")
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        token = CSRF.search(data.decode()).group(1)
        body = urlencode({**self.answers, "csrf_token": token, "submission_key": key})
        response, _, elapsed = self.request("POST", f"/s/{self.code}", body, cookie)
        self.latencies.append(elapsed)
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
        for _ in range(self.each):
            if time.time() >= self.deadline:
                return
            key = uuid.uuid4().hex
            self.keys.add(key)
            self.send_until_acked(key)
            if self.rng.random() < 0.2:
                self.send_until_acked(key)  # double submit: must store nothing new


class Hammer(threading.Thread):
    def __init__(self, port, path, until):
        super().__init__(daemon=True)
        self.port, self.path, self.until, self.latencies = port, path, until, []

    def run(self):
        # A connection a request, as the respondents make them, so the two rates compare.
        while time.time() < self.until:
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("GET", self.path)
            conn.getresponse().read()
            conn.close()
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


def run(backend, respondents, each, duration):
    workdir = tempfile.mkdtemp(prefix="sv-load-")
    pg = None
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
        bare = Server("bench.load_wsgi:bare", "/bare", env).start()
        bare_rate = rate(bare.port, "/bare", respondents, 5)
        bare.stop()

        server = Server("bench.load_wsgi:make_app()", f"/s/{code}", env).start()
        rng = random.Random(2026)
        deadline = time.time() + duration
        people = [Respondent(server.port, code, answers, each, deadline, random.Random(rng.random()))
                  for _ in range(respondents)]
        started = time.time()
        for person in people:
            person.start()
        time.sleep(duration * 0.3)
        server.kill()
        killed_at = time.time() - started
        time.sleep(1)
        server.process = None
        server = Server("bench.load_wsgi:make_app()", f"/s/{code}", env)
        server.port = people[0].port
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
        sent = set().union(*(p.keys for p in people))
        acked = set().union(*(p.acked for p in people))
        latencies = [x for p in people for x in p.latencies]
        posts = len(latencies)
        return {
            "backend": backend, "bare_rps": bare_rate, "posts": posts,
            "app_rps": posts / elapsed, "ratio": (2 * posts / elapsed) / bare_rate,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "keys_sent": len(sent), "acked": len(acked), "stored": rows,
            "lost": len(acked - keys), "duplicated": rows - len(keys),
            "stored_not_sent": len(keys - sent), "unacked": len(sent - acked),
            "retries": sum(p.errors for p in people), "killed_at_s": killed_at, "elapsed_s": elapsed,
        }
    finally:
        if pg is not None:
            pg.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--each", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60, help="upper bound in seconds")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print("backend     bare req/s  app sub/s  ratio  p50 ms  p99 ms  sent  stored  lost  dup  "
          "unacked  retries")
    ok = True
    for backend in backends:
        r = run(backend, args.respondents, args.each, args.duration)
        print(f"{r['backend']:<11} {r['bare_rps']:>10.0f} {r['app_rps']:>10.1f} {r['ratio']:>6.2f} "
              f"{r['p50_ms']:>7.0f} {r['p99_ms']:>7.0f} {r['keys_sent']:>5} {r['stored']:>7} "
              f"{r['lost']:>5} {r['duplicated']:>4} {r['unacked']:>8} {r['retries']:>8}")
        ok = ok and r["lost"] == r["duplicated"] == r["stored_not_sent"] == 0
        ok = ok and r["stored"] == r["acked"]
    print("count check:", "stored == distinct keys acknowledged, 0 lost, 0 duplicated" if ok
          else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
