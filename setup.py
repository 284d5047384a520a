"""Package list for setuptools: `plugins/` installs as the import package `smsbridge_plugins`.

A top-level package literally named ``plugins`` would collide with anything else of that
name on a user's path (STYLE.md), so the folder is remapped here; pyproject.toml holds
everything else.
"""
from setuptools import find_packages, setup

core = find_packages(include=["smsbridge", "smsbridge.*"])
plugins = ["smsbridge_plugins" + name[len("plugins"):] for name in find_packages(include=["plugins", "plugins.*"])]

setup(packages=core + plugins, package_dir={"smsbridge_plugins": "plugins"})
