"""The trimmed stylesheet (theme/static/biashara/styles.css) is what PurgeCSS makes of Unfold's today:
a class a template starts to use is in it (the tour also checks each page looks the same with
Unfold's whole stylesheet, tests/e2e/test_tour.py)."""

from modules.core.system.management.commands.trim_styles import TARGET, build


def test_the_trimmed_stylesheet_is_up_to_date():
    assert TARGET.read_text() == build(), "run `manage.py trim_styles`: theme/static/biashara/styles.css is stale"
