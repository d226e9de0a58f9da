import numpy as np
import pandas as pd
import pytest

from app.analysis.charts import (
    describe_heatmap, describe_likert, describe_trend, figure_to_png, new_figure, plot_heatmap,
    plot_likert, plot_trend,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def likert():
    return pd.DataFrame({
        "Strongly disagree": [5.0, 1.0], "Disagree": [10.0, 2.0], "Neither": [20.0, 3.0],
        "Agree": [40.0, 14.0], "Strongly agree": [25.0, 80.0], "suppressed": [False, True],
    }, index=["I feel safe", "I am happy"])


def trend_points():
    return pd.DataFrame({"date": ["2024", "2025", "2026"], "percent_positive": [50.0, 31.0, 70.0],
                         "ci_low": [40.0, 20.0, 62.0], "ci_high": [60.0, 45.0, 78.0],
                         "suppressed": [False, True, False]})


def heatmap():
    matrix = pd.DataFrame({"wellbeing": [70.0, 33.0], "curriculum": [55.0, 80.0]}, index=["Oak", "Ash"])
    suppressed = pd.DataFrame({"wellbeing": [False, True], "curriculum": [False, False]}, index=matrix.index)
    return matrix, suppressed


def draw(plot, *args):
    figure = new_figure()
    ax = plot(*args[:1], figure.add_subplot(), *args[1:])
    return figure, ax


@pytest.mark.parametrize("plot, args", [
    (plot_likert, (likert(),)), (plot_trend, (trend_points(),)), (plot_heatmap, heatmap()),
])
def test_every_chart_renders_to_png_bytes(plot, args):
    figure, ax = draw(plot, *args)
    assert ax in figure.axes
    assert figure_to_png(figure, dpi=50).startswith(PNG_SIGNATURE)


def texts(ax):
    return [text.get_text() for text in ax.texts]


def test_suppressed_likert_rows_say_too_few_and_show_no_numbers():
    _, ax = draw(plot_likert, likert())
    labels = texts(ax)
    assert "too few responses" in labels
    assert not {"14%", "80%"} & set(labels)
    assert "40%" in labels


def test_suppressed_trend_points_are_not_drawn_or_labelled():
    _, ax = draw(plot_trend, trend_points())
    assert "too few" in texts(ax)
    line = ax.get_lines()[0]
    assert np.isnan(line.get_ydata()[1])
    assert not any("31" in label for label in texts(ax))


def test_suppressed_heatmap_cells_are_not_labelled():
    _, ax = draw(plot_heatmap, *heatmap())
    assert sorted(texts(ax)) == sorted(["70%", "55%", "80%", "too few"])


def test_text_alternatives_describe_each_chart_without_hidden_numbers():
    assert describe_likert(likert()) == [
        "I feel safe: 65% agree or strongly agree, 15% strongly disagree or disagree.",
        "I am happy: too few responses to show.",
    ]
    trend_text = describe_trend(trend_points())
    assert trend_text[1] == "2025: too few responses to show." and "31" not in " ".join(trend_text)
    assert trend_text[-1] == "Latest compared with the previous shown result: up."
    assert describe_heatmap(*heatmap()) == [
        "Oak: wellbeing 70%; curriculum 55%.", "Ash: wellbeing too few responses; curriculum 80%."]


def test_figure_to_png_refuses_a_non_positive_dpi():
    with pytest.raises(ValueError, match="dpi"):
        figure_to_png(new_figure(), dpi=0)
