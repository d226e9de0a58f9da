"""Small builders for the count and question tables the SQL layer hands to app.analysis."""

import pandas as pd

AGREE5 = {"type": "agree5", "positive_values": [4, 5], "scale_min": 1, "scale_max": 5,
          "reverse": False, "priority": "wellbeing", "scale": None}


def make_questions(*rows):
    """Questions frame; each row is a dict overriding an agree5 wellbeing question."""
    return pd.DataFrame([{**AGREE5, **row} for row in rows])


def make_counts(answers, survey_id=1, school_id=1, **context):
    """Counts frame from {question_key: {code: count}}."""
    rows = [{"survey_id": survey_id, "school_id": school_id, **context,
             "question_key": key, "value": code, "n": n}
            for key, codes in answers.items() for code, n in codes.items()]
    return pd.DataFrame(rows)


def published_sums(table, dims):
    """[(total row, [member rows])] implied by the "All" labels, written independently."""
    labels = [tuple("not recorded" if pd.isna(v) else v for v in row)
              for row in table[dims].itertuples(index=False, name=None)]
    sums = []
    for t, total in enumerate(labels):
        for d, value in enumerate(total):
            if value != "All":
                continue
            members = [m for m, label in enumerate(labels) if label[d] != "All"
                       and all(label[o] == total[o] for o in range(len(dims)) if o != d)]
            sums.append((t, members))
    return sums
