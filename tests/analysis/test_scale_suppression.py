"""HSE domain scores by school and role group: a withheld score cannot be worked out by difference."""

from fractions import Fraction

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.analysis import DONT_KNOW
from app.analysis.indicators import scale_scores, scale_table
from app.analysis.suppression import add_totals, suppress_small_cells
from tests.analysis.builders import make_questions, published_sums
from tests.analysis.test_suppression import solve_exactly

DIMS = ["school_id", "role"]
CODES = (1, 3, 5, DONT_KNOW)
# One item a domain is the attacker's best case: the score is then the item's mean, so
# score x n (the sum of the scores) adds up across schools and role groups exactly.
QUESTIONS = make_questions(
    {"question_key": "deadlines", "scale": "hse.demands", "reverse": True, "priority": None},
    {"question_key": "pace", "scale": "hse.control", "priority": None},
)


def counts_of(cells):
    rows = [{"survey_id": 1, "school_id": school, "role": role, "question_key": key,
             "value": code, "n": n}
            for (school, role), domains in cells.items()
            for key, answers in zip(("deadlines", "pace"), domains)
            for code, n in zip(CODES, answers) if n]
    return pd.DataFrame(rows)


def attack(published):
    """Hidden (scale, row) cells whose n or score the published rows give away."""
    recovered = {}
    for scale, table in published.groupby("scale"):
        table = table.reset_index(drop=True)
        shown = table[~table["suppressed"]]
        known = {
            "n": {i: Fraction(int(n)) for i, n in shown["n"].items()},
            # Each score is a mean of whole codes, so score x n is a whole number.
            "sum": {i: Fraction(round(s * n)) for i, s, n in zip(shown.index, shown["score"],
                                                                 shown["n"])},
        }
        unknown = [i for i in table.index if table.loc[i, "suppressed"]]
        equations = [{total: 1, **{m: -1 for m in members}}
                     for total, members in published_sums(table, DIMS)]
        for field, values in known.items():
            found = solve_exactly(equations, values, unknown)
            recovered.update({(scale, field, table.loc[i, "school_id"], table.loc[i, "role"]): v
                              for i, v in found.items()})
    return recovered


domain = st.tuples(*[st.integers(0, 6)] * 3, st.integers(0, 1)) \
    | st.tuples(*[st.integers(0, 2)] * 3, st.integers(0, 1))
trusts = st.dictionaries(
    st.tuples(st.integers(1, 4), st.sampled_from(["teacher", "support", None])),
    st.tuples(domain, domain), min_size=1, max_size=10,
).filter(lambda cells: any(sum(answers[:3]) for domains in cells.values() for answers in domains))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(cells=trusts, threshold=st.sampled_from([3, 5]))
def test_no_withheld_domain_score_can_be_worked_out_from_everything_published(cells, threshold):
    published = scale_table(counts_of(cells), QUESTIONS, dims=DIMS, min_group_size=threshold)

    shown = published[~published["suppressed"]]
    assert (shown["n"] >= threshold).all(), "a small group's score was published"
    assert published.loc[published["suppressed"], ["n", "score", "items"]].isna().all().all()
    assert not attack(published)


def test_the_attacker_does_recover_a_school_withheld_by_primary_suppression_alone():
    # School 1 has two staff answering on demands; the trust and the other schools have enough.
    cells = {(1, "teacher"): ((0, 0, 2, 0), (0, 0, 2, 0)),
             (2, "teacher"): ((1, 2, 3, 0), (1, 2, 3, 0)),
             (3, "teacher"): ((2, 2, 2, 0), (2, 2, 2, 0))}
    counts = add_totals(counts_of(cells), DIMS)
    naive = suppress_small_cells(scale_scores(counts, QUESTIONS, by=["survey_id"] + DIMS),
                                 min_group_size=5)
    recovered = attack(naive)
    # Demands is reverse-scored: two "Always" (5) answers score 1 each.
    assert recovered[("hse.demands", "n", 1, "teacher")] == 2
    assert recovered[("hse.demands", "sum", 1, "teacher")] == 2

    protected = scale_table(counts_of(cells), QUESTIONS, dims=DIMS, min_group_size=5)
    assert not attack(protected)
    assert protected["suppressed"].sum() > naive["suppressed"].sum()


def test_the_scale_table_scores_schools_and_the_trust_as_scale_scores_does():
    cells = {(1, "teacher"): ((3, 2, 5, 1), (0, 4, 6, 0)),
             (2, "support"): ((1, 1, 8, 0), (2, 2, 6, 1))}
    published = scale_table(counts_of(cells), QUESTIONS, dims=DIMS, min_group_size=3)
    trust = published[(published["school_id"] == "All") & (published["role"] == "All")]
    demands = trust.set_index("scale").loc["hse.demands"]
    # Reverse-scored 1 -> 5, 3 -> 3, 5 -> 1 over 4 + 3 + 13 answers (don't know left out).
    assert demands["n"] == 20
    assert demands["score"] == (4 * 5 + 3 * 3 + 13 * 1) / 20
    assert not trust["suppressed"].any()
