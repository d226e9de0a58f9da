"""Benchmark: trust-wide percent positive from SQLite GROUP BY + pandas against DuckDB.

Builds a synthetic SQLite database with the app's own schema (tables and indexes from the
models) holding ~300k responses x 20 questions (about 5.7 million answer rows once blanks are
dropped), then times, best of 3:

(a) the app's way: app.reports.queries.answer_counts (one GROUP BY on SQLite through
    SQLAlchemy, as the pages run it), then app.analysis question_indicators;
(b) DuckDB computing the same n / positive / percent positive per school x question directly
    (over the SQLite file through its sqlite extension when that can be loaded, otherwise over
    the same data loaded into DuckDB in-process).

Run: python bench/bench_analysis.py [--responses 300000]
"""

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.analysis import DONT_KNOW  # noqa: E402
from app.analysis.indicators import question_indicators  # noqa: E402

QUESTIONS = 20
SCHOOLS = 40
POSITIVE = [4, 5]
DUCKDB_SQL = """
    SELECT school_id, question_key,
           COUNT(*) FILTER (WHERE value <> {dont_know}) AS n,
           COUNT(*) FILTER (WHERE value IN (4, 5)) AS positive,
           100.0 * COUNT(*) FILTER (WHERE value IN (4, 5))
                 / NULLIF(COUNT(*) FILTER (WHERE value <> {dont_know}), 0) AS percent_positive
    FROM {source}
    WHERE survey_id = 1
    GROUP BY school_id, question_key
""".replace("{dont_know}", str(DONT_KNOW))


def make_answers(responses, seed=1):
    """Long-format answers: agree5 codes skewed positive, 5% don't know, 5% left blank."""
    rng = np.random.default_rng(seed)
    school = rng.integers(1, SCHOOLS + 1, responses)
    response_id = np.repeat(np.arange(responses), QUESTIONS)
    question = np.tile(np.arange(1, QUESTIONS + 1), responses)
    value = rng.choice([1, 2, 3, 4, 5, DONT_KNOW], size=responses * QUESTIONS,
                       p=[0.06, 0.11, 0.2, 0.35, 0.23, 0.05])
    answered = rng.random(responses * QUESTIONS) >= 0.05
    return pd.DataFrame({
        "response_id": response_id[answered],
        "survey_id": 1,
        "school_id": np.repeat(school, QUESTIONS)[answered],
        "question_key": np.char.add("q", np.char.zfill(question[answered].astype(str), 2)),
        "value": value[answered],
    })


def questions_frame():
    return pd.DataFrame({
        "question_key": [f"q{i:02d}" for i in range(1, QUESTIONS + 1)],
        "priority": "wellbeing", "type": "agree5", "positive_values": [POSITIVE] * QUESTIONS,
        "scale_min": 1, "scale_max": 5, "reverse": False, "scale": None,
    })


def make_app(path):
    """The real app on a SQLite file, its schema (with the answer counts index) from the models."""
    from app import create_app
    from app.extensions import db
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return app


def build_sqlite(path, answers):
    """Bulk-load answers with plain sqlite3 (no foreign key rows needed for a count).

    The app's indexes are dropped during the load and made again after it, as a bulk import would.
    """
    with sqlite3.connect(path) as connection:
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'answer' "
            "AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.executemany(
            "INSERT INTO answer (response_id, survey_id, school_id, question_key, value) "
            "VALUES (?, ?, ?, ?, ?)",
            ((str(response), survey, school, question, value) for response, survey, school,
             question, value in answers.itertuples(index=False, name=None)))
        for _, sql in indexes:
            connection.execute(sql)
        connection.execute("ANALYZE")


def sqlite_then_pandas(app, questions):
    from app.reports.queries import answer_counts

    with app.app_context():
        counts = answer_counts([1])
    return question_indicators(counts[counts["survey_id"] == 1], questions, by=["school_id"])


def duckdb_source(answers, path):
    """A DuckDB connection and the table expression to query, preferring the SQLite file."""
    import duckdb

    connection = duckdb.connect()
    try:
        connection.execute("INSTALL sqlite")
        connection.execute("LOAD sqlite")
        source = f"sqlite_scan('{path}', 'answer')"
        connection.execute(f"SELECT COUNT(*) FROM {source}").fetchone()
        return connection, source, "DuckDB over the SQLite file (sqlite extension)"
    except Exception as error:  # extension not installable offline
        connection.register("answers_frame", answers)
        connection.execute("CREATE TABLE answer AS SELECT * FROM answers_frame")
        connection.unregister("answers_frame")
        reason = str(error).splitlines()[0][:70]
        return connection, "answer", f"DuckDB in-process copy (sqlite extension unavailable: {reason})"


def best_of(runs, function, *args):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function(*args)
        timings.append(time.perf_counter() - start)
    return min(timings), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    answers = make_answers(args.responses)
    questions = questions_frame()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        app = make_app(path)
        build_sqlite(path, answers)
        print(f"data: {args.responses:,} responses x {QUESTIONS} questions = {len(answers):,} "
              f"answer rows, {SCHOOLS} schools (built in {time.perf_counter() - started:.1f} s)")

        sqlite_time, ours = best_of(args.runs, sqlite_then_pandas, app, questions)
        connection, source, label = duckdb_source(answers, path)
        duck_time, theirs = best_of(args.runs, lambda: connection.execute(
            DUCKDB_SQL.replace("{source}", source)).df())
        connection.close()

    print(f"(a) app answer_counts on SQLite + question_indicators: {sqlite_time:.3f} s "
          f"(best of {args.runs})")
    print(f"(b) {label}: {duck_time:.3f} s (best of {args.runs})")
    print(f"sqlite+pandas / duckdb = {sqlite_time / duck_time:.1f}x")
    check_same(ours, theirs)
    print(f"total {time.perf_counter() - started:.1f} s")


def check_same(ours, theirs):
    keys = ["school_id", "question_key"]
    both = ours.merge(theirs, on=keys, suffixes=("", "_duckdb"), validate="one_to_one")
    same = (len(both) == len(ours) == len(theirs)
            and (both["n"] == both["n_duckdb"]).all()
            and (both["positive"] == both["positive_duckdb"]).all()
            and np.allclose(both["percent_positive"], both["percent_positive_duckdb"],
                            rtol=0, atol=1e-9))
    print(f"identical results: {'yes' if same else 'NO'} ({len(both)} school x question rows)")


if __name__ == "__main__":
    main()
