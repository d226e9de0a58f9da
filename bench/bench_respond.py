"""Benchmark: a respondent's GET and POST of the questionnaire against a bare Flask endpoint.

In one process through Flask's test client (no network, no gunicorn), on SQLite, rounds
interleaved so the machine's load falls on every measurement alike. Also times the GET with the
per-app caches emptied before each request (the blank questions and the form class), which is how
every GET ran before they existed.

Run: python bench/bench_respond.py [--rounds 5] [--each 30]
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench.load import open_parent_survey  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CACHES = ("sv_blank_questions", "sv_form_classes")


def prepare(url):
    app = create_app(SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, LOG_LEVEL="WARNING")
    with app.app_context():
        upgrade()
        code, answers = open_parent_survey()
        return app, f"/s/{code}", answers


def timed(call):
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--each", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        app, path, answers = prepare(f"sqlite:///{workdir}/respond.db")
        bare = Flask("bare")
        bare.add_url_rule("/bare", "bare", lambda: "ok")
        bare_client = bare.test_client()
        times = {"bare GET": [], "GET": [], "GET, caches emptied": [], "POST": []}

        def respond(empty_caches):
            if empty_caches:
                for name in CACHES:
                    app.extensions.pop(name, None)
            client = app.test_client()
            got = []
            took = timed(lambda: got.append(client.get(path)))
            token = CSRF.search(got[0].get_data(as_text=True)).group(1)
            form = {**answers, "csrf_token": token, "submission_key": uuid.uuid4().hex}
            sent = []
            post = timed(lambda: sent.append(client.post(path, data=form)))
            assert sent[0].status_code == 302, sent[0].status_code
            return took, post

        respond(False)  # templates compiled, connections open
        for _ in range(args.rounds):
            for _ in range(args.each):
                times["bare GET"].append(timed(lambda: bare_client.get("/bare")))
            for _ in range(args.each):
                get, post = respond(False)
                times["GET"].append(get)
                times["POST"].append(post)
            for _ in range(args.each):
                times["GET, caches emptied"].append(respond(True)[0])
        with app.app_context():
            db.engine.dispose()
    bare_ms = statistics.median(times["bare GET"])
    print(f"{'request':<22} {'median ms':>10} {'x bare':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<22} {median:>10.2f} {median / bare_ms:>8.0f}")
    get, emptied = statistics.median(times["GET"]), statistics.median(times["GET, caches emptied"])
    print(f"GET with caches is {emptied / get:.1f}x faster than without")
    return 0


if __name__ == "__main__":
    sys.exit(main())
