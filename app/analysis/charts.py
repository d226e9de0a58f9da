"""Charts for reports (matplotlib, no pyplot) and the plain-English text that goes with each.

Every chart has a ``describe_*`` twin returning sentences for screen-reader users and for the
text under the chart.  Suppressed results are drawn as a hatched "too few responses" area and
never labelled with a number.  Build figures with :func:`new_figure` and turn them into PNG
bytes with :func:`figure_to_png`.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

__all__ = [
    "OKABE_ITO",
    "LIKERT_COLOURS",
    "TOO_FEW",
    "new_figure",
    "figure_to_png",
    "plot_likert",
    "describe_likert",
    "plot_trend",
    "describe_trend",
    "plot_heatmap",
    "describe_heatmap",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
#: Diverging orange-grey-blue set: most negative to most positive.
LIKERT_COLOURS = {
    2: ["#D55E00", "#0072B2"],
    3: ["#D55E00", "#BBBBBB", "#0072B2"],
    4: ["#D55E00", "#E69F00", "#56B4E9", "#0072B2"],
    5: ["#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#0072B2"],
}
HEATMAP_COLOURS = LinearSegmentedColormap.from_list("orange_blue", ["#D55E00", "#F7F7F7", "#0072B2"])
TOO_FEW = "too few responses"
SUPPRESSED_STYLE = {"facecolor": "#FFFFFF", "edgecolor": "#767676", "hatch": "///", "linewidth": 0.8}
MIN_LABELLED_PERCENT = 5


def new_figure(width=8, height=4):
    """A Figure drawn by the Agg backend, with no pyplot state (safe in a web server)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_to_png(fig, dpi=100):
    """PNG bytes of a Figure."""
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def plot_likert(data, ax, suppressed_col="suppressed"):
    """Diverging stacked bars: negative answers to the left of zero, positive to the right.

    Parameters
    ----------
    data : DataFrame
        One row per question, indexed by its label; one column per answer category in order
        from most negative to most positive, holding percentages of valid answers; optionally
        a boolean ``suppressed_col``.  With an odd number of categories the middle one
        ("Neither") is split evenly across zero.
    ax : matplotlib Axes

    Returns
    -------
    Axes
    """
    categories, hidden = _likert_parts(data, suppressed_col)
    colours = LIKERT_COLOURS.get(len(categories))
    if colours is None:
        raise ValueError(f"plot_likert draws 2 to 5 answer categories, got {len(categories)}")
    values = data[categories].astype("float64").fillna(0.0).to_numpy()
    middle = len(categories) // 2
    neutral = len(categories) % 2 == 1
    for row, label in enumerate(data.index):
        y = len(data) - 1 - row
        if hidden[row]:
            ax.barh(y, 100, left=-50, height=0.6, **SUPPRESSED_STYLE)
            ax.text(0, y, TOO_FEW, ha="center", va="center", fontsize=9)
            continue
        negative = values[row, :middle].sum() + (values[row, middle] / 2 if neutral else 0)
        left = -negative
        for column, colour in enumerate(colours):
            width = values[row, column]
            ax.barh(y, width, left=left, height=0.6, color=colour, edgecolor="white")
            if width >= MIN_LABELLED_PERCENT:
                ax.text(left + width / 2, y, f"{width:.0f}%", ha="center", va="center",
                        fontsize=8, color="white" if colour in ("#D55E00", "#0072B2") else "black")
            left += width
    ax.axvline(0, color="#333333", linewidth=0.8, zorder=0)
    ax.set_yticks(range(len(data)), [str(label) for label in reversed(list(data.index))])
    ax.set_xlim(-100, 100)
    ax.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"])
    handles = [Patch(color=colour, label=str(category))
               for category, colour in zip(categories, colours)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08),
              ncol=len(categories), frameon=False, fontsize=8)
    return ax


def describe_likert(data, suppressed_col="suppressed"):
    """One sentence per question: how many agreed (the top half) and disagreed, or too few."""
    categories, hidden = _likert_parts(data, suppressed_col)
    middle = len(categories) // 2
    positive = categories[-middle:] if middle else categories
    negative = categories[:middle]
    sentences = []
    for row, label in enumerate(data.index):
        if hidden[row]:
            sentences.append(f"{label}: too few responses to show.")
            continue
        values = data.iloc[row][categories].astype("float64").fillna(0.0)
        sentences.append(f"{label}: {values[positive].sum():.0f}% {' or '.join(positive).lower()}, "
                         f"{values[negative].sum():.0f}% {' or '.join(negative).lower()}.")
    return sentences


def plot_trend(data, ax, date_col="date", label_col=None):
    """Percent positive over time with its 95% interval as a band.

    Parameters
    ----------
    data : DataFrame
        One row per survey in time order with ``date_col``, ``percent_positive``, ``ci_low``,
        ``ci_high`` and optionally ``suppressed``; ``label_col`` names the x tick labels
        (defaults to ``date_col``).  Suppressed points break the line and show a hatched
        "too few" column.
    ax : matplotlib Axes

    Returns
    -------
    Axes
    """
    points = _trend_points(data, date_col)
    x = np.arange(len(points))
    shown = points["shown"].to_numpy()
    percent = points["percent_positive"].astype("float64").where(shown).to_numpy()
    low = points["ci_low"].astype("float64").where(shown).to_numpy()
    high = points["ci_high"].astype("float64").where(shown).to_numpy()
    ax.fill_between(x, low, high, color=OKABE_ITO["sky_blue"], alpha=0.35, linewidth=0,
                    label="95% interval")
    # Whiskers too, so that a point with hidden neighbours still shows its interval.
    ax.vlines(x, low, high, color=OKABE_ITO["blue"], linewidth=1)
    ax.plot(x, percent, color=OKABE_ITO["blue"], marker="o", label="% positive")
    for position in x[~shown]:
        ax.add_patch(Rectangle((position - 0.3, 0), 0.6, 100, **SUPPRESSED_STYLE))
        ax.text(position, 50, "too few", ha="center", va="center", rotation=90, fontsize=9)
    labels = points[label_col or date_col].astype(str)
    ax.set_xticks(x, list(labels))
    ax.set_xlim(-0.5, len(points) - 0.5)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% positive")
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    return ax


def describe_trend(data, date_col="date", label_col=None):
    """One sentence per survey, then how the latest result compares with the previous one."""
    from app.analysis.trends import compare_intervals

    points = _trend_points(data, date_col)
    labels = points[label_col or date_col].astype(str)
    sentences = []
    for label, row in zip(labels, points.itertuples()):
        if not row.shown:
            sentences.append(f"{label}: too few responses to show.")
        else:
            sentences.append(f"{label}: {row.percent_positive:.0f}% positive "
                             f"(likely between {row.ci_low:.0f}% and {row.ci_high:.0f}%).")
    shown = points[points["shown"]]
    if len(shown) >= 2:
        before, latest = shown.iloc[-2], shown.iloc[-1]
        direction = compare_intervals(before["ci_low"], before["ci_high"],
                                      latest["ci_low"], latest["ci_high"])
        sentences.append(f"Latest compared with the previous shown result: {direction}.")
    return sentences


def plot_heatmap(matrix, ax, suppressed=None):
    """Schools (rows) by priorities (columns) coloured by percent positive.

    Parameters
    ----------
    matrix : DataFrame
        Percent positive (0-100); index = schools, columns = priorities.
    ax : matplotlib Axes
    suppressed : DataFrame of bool, optional
        Same shape; true cells (and missing values) are hatched and labelled "too few",
        never with a number.

    Returns
    -------
    Axes
    """
    values, hidden = _heatmap_parts(matrix, suppressed)
    image = ax.imshow(np.ma.masked_array(values, hidden), cmap=HEATMAP_COLOURS, vmin=0,
                      vmax=100, aspect="auto")
    for (row, column), is_hidden in np.ndenumerate(hidden):
        if is_hidden:
            ax.add_patch(Rectangle((column - 0.5, row - 0.5), 1, 1, **SUPPRESSED_STYLE))
            ax.text(column, row, "too few", ha="center", va="center", fontsize=8)
        else:
            ax.text(column, row, f"{values[row, column]:.0f}%", ha="center", va="center",
                    fontsize=8, color="black")
    ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], rotation=30, ha="right")
    ax.set_yticks(range(matrix.shape[0]), [str(i) for i in matrix.index])
    colour_bar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
    colour_bar.set_label("% positive")
    return ax


def describe_heatmap(matrix, suppressed=None):
    """One sentence per school listing each priority's percent positive or "too few"."""
    values, hidden = _heatmap_parts(matrix, suppressed)
    sentences = []
    for row, school in enumerate(matrix.index):
        parts = [f"{priority} too few responses" if hidden[row, column]
                 else f"{priority} {values[row, column]:.0f}%"
                 for column, priority in enumerate(matrix.columns)]
        sentences.append(f"{school}: " + "; ".join(parts) + ".")
    return sentences


def _likert_parts(data, suppressed_col):
    categories = [c for c in data.columns if c != suppressed_col]
    hidden = data[suppressed_col].fillna(True).astype(bool).to_numpy() \
        if suppressed_col in data.columns else np.zeros(len(data), dtype=bool)
    hidden = hidden | data[categories].isna().all(axis=1).to_numpy()
    return categories, hidden


def _trend_points(data, date_col):
    missing = [c for c in (date_col, "percent_positive", "ci_low", "ci_high") if c not in data]
    if missing:
        raise ValueError(f"data is missing column(s) {missing}")
    points = data.reset_index(drop=True).copy()
    shown = points[["percent_positive", "ci_low", "ci_high"]].notna().all(axis=1)
    if "suppressed" in points.columns:
        shown &= ~points["suppressed"].fillna(True).astype(bool)
    points["shown"] = shown
    return points


def _heatmap_parts(matrix, suppressed):
    values = matrix.astype("float64").to_numpy()
    hidden = np.isnan(values)
    if suppressed is not None:
        if suppressed.shape != matrix.shape:
            raise ValueError("suppressed must have the same shape as matrix")
        hidden |= suppressed.reindex_like(matrix).fillna(True).astype(bool).to_numpy()
    return values, hidden
