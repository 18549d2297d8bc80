"""The layout and module contract that the design card fixes."""

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import AppConfig
from django.conf import settings

from modules.core.registry.contract import Module

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [*settings.BACKOFFICE_CORE, *settings.BACKOFFICE_MODULES]


def test_site_is_a_plain_folder():
    assert not (ROOT / "site" / "__init__.py").exists()


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_has_one_default_app_config(package):
    apps_module = importlib.import_module(f"{package}.apps")
    configs = [c for _, c in inspect.getmembers(apps_module, inspect.isclass)
               if issubclass(c, AppConfig) and c is not AppConfig and c.__module__ == apps_module.__name__]
    assert [c for c in configs if c.__dict__.get("default")], f"{package}.apps needs a config with default = True"


@pytest.mark.parametrize("package", settings.BACKOFFICE_MODULES)
def test_business_modules_declare_themselves(package):
    module = importlib.import_module(f"{package}.module").MODULE
    assert isinstance(module, Module)
    assert module.business and module.menu and module.widgets and module.roles
    importlib.import_module(f"{package}.services")


def test_business_modules_never_import_each_other():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": f"{ROOT / 'site'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 broken" in result.stdout and "Exports is machinery" in result.stdout
    assert "The core's layers" in result.stdout  # no import circle and no upward arrow in modules.core
