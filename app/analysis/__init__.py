"""Survey analysis: answer counts -> indicators -> suppression, trends, benchmarks, gaps and charts.

Pure pandas/numpy functions with no Flask and no database session, so they can be used from a
notebook: ``from app.analysis import indicators``.  Import the topic modules directly; this
package only holds the shared answer codes.
"""

__all__ = ["DONT_KNOW"]

#: Code stored for a "Don't know" answer; never counted as a valid answer.
DONT_KNOW = -1
