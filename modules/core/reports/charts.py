"""The revenue chart as an SVG drawn on the server (pygal), inlined in the page.

No chart script runs on the phone: the chart paints with the HTML, takes the space it was given
(no layout shift), costs no main-thread time while the page loads, and a refresh of its widget
simply brings a new one (about 6 ms of server time for 30 days of three businesses). The page's
table (or the widget's total) carries the exact figures.
"""

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from pygal.style import Style

WIDTH, PLOT_HEIGHT, LEGEND_ROW = 390, 210, 22  # the viewBox: a phone's width; the SVG scales to its box
CHART_ID = "revenue-trend"  # a stable element id (pygal's default is a new UUID per drawing)


def revenue_svg(trend: dict) -> SafeString:
    """``services.revenue_trend``'s lines as an inline SVG, one coloured line per business."""
    title = _("Revenue per day, %(first)s to %(last)s") % {"first": trend["labels"][0], "last": trend["labels"][-1]}
    style = Style(
        background="transparent", plot_background="transparent", opacity="1", opacity_hover="1", transition="none",
        foreground="#6b7280", foreground_strong="#6b7280", foreground_subtle="rgba(107,114,128,.25)",
        guide_stroke_color="rgba(107,114,128,.35)", major_guide_stroke_color="rgba(107,114,128,.35)",
        guide_stroke_dasharray="2,3", major_guide_stroke_dasharray="2,3", stroke_width="2",
        colors=tuple(line["colour"] for line in trend["series"]) or ("#6b7280",),
        font_family="system-ui, sans-serif", label_font_size=11, major_label_font_size=11, legend_font_size=12,
        no_data_font_size=14)
    chart = pygal.Line(
        style=style, width=WIDTH, height=PLOT_HEIGHT + LEGEND_ROW * len(trend["series"]), explicit_size=False,
        js=[], disable_xml_declaration=True,
        show_dots=len(trend["labels"]) <= 7, dots_size=3, stroke_style={"linejoin": "round"}, show_x_guides=False,
        legend_at_bottom=True, legend_at_bottom_columns=1, truncate_legend=-1,  # a business per row, named in full
        truncate_label=-1, x_labels_major_count=6, show_minor_x_labels=False, include_x_axis=True,
        margin=4, margin_right=20, spacing=8, value_formatter=lambda amount: f"{amount:,.0f}",
        no_data_text=_("No sales in these days"))
    chart.uuid = CHART_ID
    chart.add_xml_filter(lambda svg: _static(svg, title))
    chart.x_labels = trend["labels"]
    for line in trend["series"]:
        chart.add(line["name"], [float(amount) for amount in line["data"]])
    # pygal builds the SVG with ElementTree, which escapes every label (business names, days)
    return mark_safe(chart.render(is_unicode=True))  # nosec B308 B703


def _static(svg, title):
    """The drawing without pygal's script (its config, for tooltips this page does not load) or
    comments, an image titled for screen readers."""
    svg.set("role", "img")
    for defs in svg.iter("defs"):
        for script in defs.findall("script"):
            defs.remove(script)
    for child in list(svg):
        if callable(child.tag):  # a comment
            svg.remove(child)
        elif child.tag == "title":
            child.text = title
    return svg
