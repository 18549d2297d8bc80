#!/usr/bin/env python
"""Django's command-line utility; puts site/ on sys.path (site/ is not a package)."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "site"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
