"""Benchmark: trust-wide indicators from the answer counts against DuckDB and a naive ORM loop.

Builds a SQLite file with the app's own schema holding a trust of 40 schools and one survey of
500,000 responses x 20 agree5 questions (about 9.5 million answer rows once blanks are dropped).
The answers are bulk-inserted with plain sqlite3 (storing 500,000 responses one by one through
the respondent page would take hours on two shared cores), then the answer counts are made by
the app's own ``app.surveys.counts.rebuild``, which the tests check equals what submits add up.
Then, in one run:

(a) the app's trust-wide question table as the pages compute it
    (``app.reports.services._compute_question_table``: counts read from the answer counts, every
    school and the trust total through ``question_indicators``, complementary suppression),
    best of --runs;
(b) DuckDB computing the same n / positive / percent positive per school and for the trust
    over the same answers, copied into DuckDB in memory, best of --runs;
(c) a naive loop over ORM ``Answer`` objects on a subset of schools holding about 50,000
    responses, timed once and scaled to the whole survey by responses.

It prints the times, the ratios, the peak memory and whether all three give identical numbers
(a and b on every row; a, b and c on the subset's schools).

Run: python bench/bench_analysis.py [--responses 500000] [--subset 50000] [--runs 3]
"""

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.analysis import DONT_KNOW  # noqa: E402

QUESTIONS = 20
SCHOOLS = 40
POSITIVE = (4, 5)
DUCKDB_SQL = f"""
    SELECT school_id, question_key,
           COUNT(*) FILTER (WHERE value <> {DONT_KNOW}) AS n,
           COUNT(*) FILTER (WHERE value IN {POSITIVE}) AS positive,
           100.0 * COUNT(*) FILTER (WHERE value IN {POSITIVE})
                 / NULLIF(COUNT(*) FILTER (WHERE value <> {DONT_KNOW}), 0) AS percent_positive
    FROM answer
    WHERE survey_id = 1
    GROUP BY GROUPING SETS ((school_id, question_key), (question_key))
"""


def make_answers(responses, seed=1):
    """Long-format answers: agree5 codes skewed positive, 5% don't know, 5% left blank."""
    rng = np.random.default_rng(seed)
    school = rng.integers(1, SCHOOLS + 1, responses)
    response_id = np.repeat(np.arange(responses), QUESTIONS)
    question = np.tile(np.arange(1, QUESTIONS + 1), responses)
    value = rng.choice([1, 2, 3, 4, 5, DONT_KNOW], size=responses * QUESTIONS,
                       p=[0.06, 0.11, 0.2, 0.35, 0.23, 0.05])
    answered = rng.random(responses * QUESTIONS) >= 0.05
    keys = pd.Categorical.from_codes(question[answered] - 1,
                                     [f"q{i:02d}" for i in range(1, QUESTIONS + 1)])
    return pd.DataFrame({
        "response_id": response_id[answered],
        "survey_id": np.int64(1),
        "school_id": np.repeat(school, QUESTIONS)[answered],
        "question_key": keys,
        "value": value[answered],
    }), school


def make_app(path):
    """The real app on a SQLite file: schema from the models, one trust, survey and instrument."""
    from app import create_app
    from app.extensions import db
    from app.models import Instrument, Question, School, Survey, SurveySchool, Trust
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        trust = Trust(name="Bench Trust")
        schools = [School(trust=trust, urn=f"9{i:05d}", name=f"School {i}", staff_count=60)
                   for i in range(1, SCHOOLS + 1)]
        instrument = Instrument(key="bench", version=1, name="Bench", audience="staff",
                                status="published")
        instrument.questions = [
            Question(position=i, key=f"q{i:02d}", text=f"Question {i}", type="agree5",
                     priority_key="wellbeing", dont_know=True)
            for i in range(1, QUESTIONS + 1)]
        survey = Survey(title="Bench survey", instrument=instrument, opens_on=date(2026, 9, 1),
                        closes_on=date(2026, 9, 30))
        survey.schools = [SurveySchool(school=school) for school in schools]
        db.session.add_all([trust, survey])
        db.session.commit()
        assert survey.id == 1 and [s.id for s in schools] == list(range(1, SCHOOLS + 1))
        db.session.remove()
        db.engine.dispose()
    return app


def build_sqlite(path, answers, chunk=500_000):
    """Bulk-load answers with plain sqlite3, indexes dropped during the load and made after it."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA synchronous = OFF")
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'answer' "
            "AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        columns = ["response_id", "survey_id", "school_id", "question_key", "value"]
        for start in range(0, len(answers), chunk):
            part = answers.iloc[start:start + chunk]
            connection.executemany(
                "INSERT INTO answer (response_id, survey_id, school_id, question_key, value) "
                "VALUES (?, ?, ?, ?, ?)",
                zip(*(part[column].astype(str if column == "question_key" else object).tolist()
                      for column in columns)))
        for _, sql in indexes:
            connection.execute(sql)
        connection.execute("ANALYZE")


def rebuild_counts(app):
    from app.extensions import db
    from app.surveys.counts import rebuild

    with app.app_context():
        rows = rebuild([1])
        db.session.commit()
    return rows


def ours(app):
    """(a) The trust-wide question table exactly as the pages compute it (no result cache)."""
    from app.extensions import db
    from app.models import Survey
    from app.reports.services import _compute_question_table

    with app.app_context():
        table = _compute_question_table(db.session.get(Survey, 1))
    return table[["school_id", "question_key", "n", "positive", "percent_positive"]]


def duckdb_connection(answers):
    import duckdb

    connection = duckdb.connect()
    connection.register("answers_frame", answers)
    connection.execute("CREATE TABLE answer AS SELECT * FROM answers_frame")
    connection.unregister("answers_frame")
    return connection


def theirs(connection):
    """(b) DuckDB: the same numbers in one GROUP BY with the trust total as a grouping set."""
    result = connection.execute(DUCKDB_SQL).df()
    result["question_key"] = result["question_key"].astype(str)
    result["school_id"] = result["school_id"].astype(object).where(result["school_id"].notna(),
                                                                   "All")
    return result


def orm_loop(app, school_ids):
    """(c) The naive way: every Answer as an ORM object, tallied in Python."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Answer

    tallies = defaultdict(lambda: [0, 0])
    with app.app_context():
        query = (sa.select(Answer).where(Answer.survey_id == 1, Answer.school_id.in_(school_ids))
                 .execution_options(yield_per=10_000))
        for answer in db.session.scalars(query):
            if answer.value is None or answer.value == DONT_KNOW:
                continue
            tally = tallies[(answer.school_id, answer.question_key)]
            tally[0] += 1
            tally[1] += answer.value in POSITIVE
        db.session.remove()
    return pd.DataFrame(
        [(school, key, n, positive, 100 * positive / n)
         for (school, key), (n, positive) in tallies.items()],
        columns=["school_id", "question_key", "n", "positive", "percent_positive"])


def best_of(runs, function, *args):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function(*args)
        timings.append(time.perf_counter() - start)
    return min(timings), result


def peak_python_memory(function, *args):
    """Peak bytes allocated through Python (numpy and pandas included) while function runs."""
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def same(left, right, rows=None):
    keys = ["school_id", "question_key"]
    left, right = (frame.astype({"school_id": str}) for frame in (left, right))
    if rows is not None:
        left, right = (frame[frame["school_id"].isin(rows)] for frame in (left, right))
    both = left.merge(right, on=keys, suffixes=("", "_other"), validate="one_to_one")
    return (len(both) == len(left) == len(right) > 0
            and (both["n"].astype("int64") == both["n_other"].astype("int64")).all()
            and (both["positive"].astype("int64") == both["positive_other"].astype("int64")).all()
            and np.allclose(both["percent_positive"].astype(float),
                            both["percent_positive_other"].astype(float), rtol=0, atol=1e-9)), \
        len(both)


def subset_schools(school_of_response, size):
    """The first schools (by id) that together hold at least ``size`` responses."""
    per_school = np.bincount(school_of_response, minlength=SCHOOLS + 1)
    chosen, total = [], 0
    for school_id in range(1, SCHOOLS + 1):
        if total >= size:
            break
        chosen.append(school_id)
        total += int(per_school[school_id])
    return chosen, total


def megabytes(size):
    return f"{size / 2 ** 20:,.0f} MB"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=500_000)
    parser.add_argument("--subset", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    answers, school_of_response = make_answers(args.responses)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        app = make_app(path)
        build_sqlite(path, answers)
        loaded = time.perf_counter()
        count_rows = rebuild_counts(app)
        counted = time.perf_counter()
        print(f"data: {args.responses:,} responses x {QUESTIONS} questions = {len(answers):,} "
              f"answer rows, {SCHOOLS} schools (bulk load {loaded - started:.1f} s; "
              f"answer counts rebuilt in {counted - loaded:.1f} s: {count_rows:,} rows)")

        ours_time, our_table = best_of(args.runs, ours, app)
        ours_peak = peak_python_memory(ours, app)
        connection = duckdb_connection(answers)
        duck_time, duck_table = best_of(args.runs, theirs, connection)
        duck_memory = connection.execute(
            "SELECT SUM(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
        connection.close()
        chosen, subset_responses = subset_schools(school_of_response, args.subset)
        orm_start = time.perf_counter()
        orm_table = orm_loop(app, chosen)
        orm_time = time.perf_counter() - orm_start
        orm_peak = peak_python_memory(orm_loop, app, chosen[:1])
        scale = args.responses / subset_responses
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()

    print(f"(a) app question table from the answer counts (every school + trust, suppressed): "
          f"{ours_time:.3f} s (best of {args.runs}); peak Python memory {megabytes(ours_peak)}")
    print(f"(b) DuckDB in memory, same answers: {duck_time:.3f} s (best of {args.runs}); "
          f"DuckDB holds {megabytes(duck_memory or 0)}")
    print(f"(c) naive ORM loop on schools {chosen[0]}-{chosen[-1]} ({subset_responses:,} "
          f"responses): {orm_time:.1f} s, scaled x{scale:.2f} to {orm_time * scale:.1f} s; "
          f"peak Python memory {megabytes(orm_peak)} (one school)")
    print(f"ours / duckdb = {ours_time / duck_time:.2f}x (target <= 2x); "
          f"orm (scaled) / ours = {orm_time * scale / ours_time:,.0f}x (target >= 20x); "
          f"ours under 1.5 s: {'yes' if ours_time < 1.5 else 'NO'}")
    ab, rows = same(our_table, duck_table)
    abc = all(same(x, y, [str(s) for s in chosen])[0]
              for x, y in ((our_table, orm_table), (duck_table, orm_table)))
    print(f"identical results: (a) = (b) {'yes' if ab else 'NO'} ({rows} school/trust x question "
          f"rows); (a) = (b) = (c) on the subset {'yes' if abc else 'NO'}")
    print(f"process peak RSS {megabytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}"
          f" (mostly the generated answers held for the load and DuckDB); "
          f"total {time.perf_counter() - started:.1f} s")
    return 0 if ab and abc else 1


if __name__ == "__main__":
    sys.exit(main())
