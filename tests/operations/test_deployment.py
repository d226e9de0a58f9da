"""Production set-up: gunicorn processes sharing nothing but the database, Redis for rate limits."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time

from limits.storage import MemoryStorage, RedisStorage

from app.extensions import db, limiter
from tests.builders import PASSWORD, make_school, make_trust, make_user
from tests.conftest import make_app

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_rate_limits_are_kept_in_redis_when_configured_and_in_memory_by_default(database_url):
    # One limiter serves the process; the app made last configures it.
    for uri, storage in ((None, MemoryStorage), (f"redis://127.0.0.1:{free_port()}/0", RedisStorage)):
        app = make_app(database_url, RATELIMIT_ENABLED=True,
                       **({"RATELIMIT_STORAGE_URI": uri} if uri else {}))
        with app.app_context():
            assert isinstance(limiter.storage, storage)
            db.engine.dispose()


def test_sign_in_still_works_when_redis_is_unreachable(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True,
                   RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        make_user("head@ours.example", "head", make_school(make_trust()))
        db.session.commit()
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "head@ours.example", "password": PASSWORD})
    assert response.status_code == 302  # counted in this process's memory meanwhile
    with app.app_context():
        db.engine.dispose()


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app`, as production runs it, on a free local port."""

    def __init__(self, database_url, log):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="shared-by-every-process",
                   WEB_CONCURRENCY="2", GUNICORN_THREADS="2", LOG_LEVEL="INFO")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=env, stderr=log, start_new_session=True)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response, response.read().decode()
        finally:
            conn.close()  # also when the server is not up yet

    def wait(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                return self.request("GET", "/healthz")
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def test_two_app_servers_on_one_database_serve_the_same_signed_in_session(database_url, tmp_path):
    app = make_app(database_url)
    with app.app_context():
        make_user("head@ours.example", "head", make_school(make_trust()))
        db.session.commit()
        db.engine.dispose()
    log_path = tmp_path / "app.log"
    with open(log_path, "w") as log:
        servers = [Gunicorn(database_url, log), Gunicorn(database_url, log)]
    try:
        for server in servers:
            health, body = server.wait()
            assert health.status == 200 and '"status":"ok"' in body.replace(" ", "")
        first, second = servers
        page, body = first.request("GET", "/sign-in")
        cookie = page.getheader("Set-Cookie").split(";")[0]
        form = (f"email=head%40ours.example&password={PASSWORD.replace(' ', '+')}"
                f"&csrf_token={TOKEN.search(body).group(1)}")
        signed, _ = first.request("POST", "/sign-in", form, {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        assert signed.status == 302
        cookie = signed.getheader("Set-Cookie").split(";")[0]
        # The other server knows nothing of the first: the session is in the signed cookie.
        home, _ = second.request("GET", "/", headers={"Cookie": cookie})
        assert home.status == 302 and home.getheader("Location").startswith("/schools/")  # a head's school
        school, body = second.request("GET", home.getheader("Location"), headers={"Cookie": cookie})
        assert school.status == 200 and "Sign out" in body
    finally:
        for server in servers:
            server.stop()
    lines = log_path.read_text().splitlines()
    assert any('"route": "/sign-in"' in line and '"status": 302' in line for line in lines)
    assert not any('"level": "error"' in line for line in lines)


def test_the_compose_file_sets_only_settings_the_app_reads_and_its_files_exist():
    def read(name):
        with open(os.path.join(ROOT, name)) as handle:
            return handle.read()

    compose = read("docker-compose.yml")
    block = compose.split("environment: &app-env\n")[1].split("    depends_on:")[0]
    names = re.findall(r"^      ([A-Z_]+):", block, re.MULTILINE)
    settings = read("config.py") + read("gunicorn.conf.py")
    assert names and [n for n in names if f'"{n}"' not in settings] == []
    dockerfile = read("Dockerfile")
    for line in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE):
        for path in line.split():
            assert os.path.exists(os.path.join(ROOT, path)), path
    assert "/healthz" in dockerfile and "/healthz" in compose
