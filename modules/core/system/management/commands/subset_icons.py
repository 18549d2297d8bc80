"""Writes theme/static/biashara/icons.woff2: Unfold's Material Symbols font cut down to the icons
this project can show (292 KB → a few dozen KB on every cold page load).

Material Symbols draws an icon from its name through a ligature ("arrow_forward" → one glyph), so
a plain subset by characters keeps every ligature of the alphabet. This prunes the ligature table to
the wanted names first, then lets fontTools subset the rest. The wanted names are every identifier
in Unfold's and this project's templates and scripts, and every Python string literal that is one
identifier (``icon="sms"``; not the words of a docstring or comment), that is also an icon name in
the font: a new icon used anywhere is picked up by running the command again (a test fails until it is).
"""

import ast
import io
import re
import tokenize
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from fontTools import subset
from fontTools.ttLib import TTFont

import unfold

SOURCE = Path(unfold.__file__).parent / "static/unfold/fonts/material-symbols/Material-Symbols-Outlined.woff2"
TARGET = settings.ROOT / "theme/static/biashara/icons.woff2"
WORD = re.compile(r"[a-z][a-z0-9_]{1,40}")


def ligature_tables(font):
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = getattr(table, "ExtSubTable", table)  # extension lookups wrap the real one
            if hasattr(table, "ligatures"):
                yield table


def icon_names(font):
    """{name: ligature glyph} for every icon the font draws from its name."""
    char_of = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    names = {}
    for table in ligature_tables(font):
        for first, ligatures in table.ligatures.items():
            for ligature in ligatures:
                chars = [char_of.get(g) for g in (first, *ligature.Component)]
                if None not in chars:
                    names["".join(chars)] = ligature.LigGlyph
    return names


def python_identifier_strings(text: str):
    """The string literals of Python source that are one identifier each (f-strings are skipped)."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING:
                try:
                    value = ast.literal_eval(token.string)
                except (ValueError, SyntaxError):
                    continue
                if isinstance(value, str) and WORD.fullmatch(value):
                    yield value
    except (tokenize.TokenError, SyntaxError):
        return


def words_in_sources():
    roots = [Path(unfold.__file__).parent, settings.ROOT / "modules", settings.ROOT / "theme",
             settings.ROOT / "site"]
    words = set()
    for root in roots:
        for path in root.rglob("*"):
            if "migrations" in path.parts:
                continue
            if path.suffix == ".py":
                words.update(python_identifier_strings(path.read_text(errors="ignore")))
            elif path.suffix in {".html", ".js"}:
                words.update(WORD.findall(path.read_text(errors="ignore")))
    return words


def build(target=TARGET):
    font = TTFont(SOURCE)
    available = icon_names(font)
    wanted = sorted(words_in_sources() & available.keys())
    keep = set(wanted)
    char_of = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    for table in ligature_tables(font):
        table.ligatures = {
            first: kept for first, ligatures in table.ligatures.items()
            if (kept := [lig for lig in ligatures
                         if char_of.get(first, "") + "".join(char_of.get(g, "\0") for g in lig.Component) in keep])
        }
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["liga", "rlig", "calt"]
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set("".join(wanted)))), glyphs=[available[n] for n in wanted])
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(target)
    return wanted, target.stat().st_size


class Command(BaseCommand):
    help = "Subset Unfold's Material Symbols font to the icons in use (theme/static/biashara/icons.woff2)."

    def handle(self, *args, **options):
        wanted, size = build()
        self.stdout.write(f"{len(wanted)} icons, {size / 1024:.1f} KB → {TARGET.relative_to(settings.ROOT)}")
