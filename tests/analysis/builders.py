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
