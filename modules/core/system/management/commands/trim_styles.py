"""Writes theme/static/biashara/styles.css: Unfold's compiled Tailwind stylesheet with only the rules
this project's admin pages can use (330 KB → about 100 KB to parse and match on every page a phone
opens; the lean page shell, theme/templates/biashara/skeleton.html, links it).

PurgeCSS (npm `purgecss`, pinned in the Makefile, installed by `make tools`) does the work, set up
in theme/purgecss.config.cjs: a rule stays when one of its class names appears in Unfold's, Django
admin's or this project's templates, scripts or Python. A class used anywhere new is picked up by
running the command again (a test fails until it is). PurgeCSS 8 drops any selector holding
``:where(:not(…))`` whatever the content; Unfold has one, its base rule hiding ``[hidden]``
elements, copied back into its layer here.

Tailwind writes a ``group-*`` variant as ``.x:is(:where(.group):has(…) *)``. Chromium cannot narrow
that selector's invalidation, so any change the group's state depends on (the changelist form's
``:has(input.action-select:checked)``: each row the parser inserts, Django's actions.js setting the
checkboxes on load) restyled the group's whole subtree (500 elements on a list page, 120-150 ms on a
phone each time). Written as the equivalent ``:where(.group):has(…) .x`` (same elements, same
specificity), the change restyles only the ``.x`` elements under it.
"""

import os
import re
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

import unfold

PURGECSS = settings.ROOT / ".venv/purgecss/node_modules/.bin/purgecss"
CONFIG = settings.ROOT / "theme/purgecss.config.cjs"
SOURCE = Path(unfold.__file__).parent / "static/unfold/css/styles.css"
TARGET = settings.ROOT / "theme/static/biashara/styles.css"
KEPT_WHOLE = re.compile(r"\[hidden\]:where\(:not\(\[hidden=until-found\]\)\)\{[^}]*\}")  # in @layer base
GROUP_VARIANT = re.compile(
    r"(?<=[{},])(?P<subject>\.(?:\\.|[\w-])+)"  # a whole selector starting with one class, .group-hover\:x
    r":is\((?P<group>:where\([^()]*\)(?:[^()\s,*]|\((?:[^()]|\([^()]*\))*\))*) \*\)"  # :is(:where(.group)STATE *)
    r"(?=[{,])")


def build() -> str:
    """The trimmed stylesheet's text."""
    if not PURGECSS.exists():
        raise CommandError(f"{PURGECSS.relative_to(settings.ROOT)} is missing: run `make tools`")
    env = {**os.environ, "SITE_PACKAGES": str(Path(unfold.__file__).parents[1]), "PROJECT_ROOT": str(settings.ROOT)}
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([PURGECSS, "--config", CONFIG, "--output", out], env=env, check=True, capture_output=True)
        trimmed = (Path(out) / "styles.css").read_text()
    trimmed = GROUP_VARIANT.sub(r"\g<group> \g<subject>", trimmed)
    return trimmed + "".join(f"@layer base{{{rule}}}" for rule in KEPT_WHOLE.findall(SOURCE.read_text()))


class Command(BaseCommand):
    help = "Trim Unfold's stylesheet to the classes in use (theme/static/biashara/styles.css)."

    def handle(self, *args, **options):
        TARGET.write_text(build())
        self.stdout.write(f"{TARGET.stat().st_size / 1024:.1f} KB → {TARGET.relative_to(settings.ROOT)}")
