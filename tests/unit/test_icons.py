"""The subset icon font (theme/static/biashara/icons.woff2) draws every icon the code names."""

from fontTools.ttLib import TTFont

from modules.core.registry import registry
from modules.core.system.management.commands.subset_icons import SOURCE, TARGET, icon_names, words_in_sources


def test_the_subset_font_has_every_icon_in_use():
    in_subset = icon_names(TTFont(TARGET)).keys()
    in_use = words_in_sources() & icon_names(TTFont(SOURCE)).keys()
    missing = sorted(in_use - in_subset)
    assert not missing, f"run `manage.py subset_icons`: the icon font lacks {missing}"


def test_module_icons_are_icon_names():
    declared = {m.icon for m in registry.modules()} | {i.icon for m in registry.modules() for i in m.menu}
    assert declared <= icon_names(TTFont(TARGET)).keys()
