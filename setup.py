"""Packaging beyond what pyproject.toml can say: ``resources/`` (the icon, the demo briefing) stays at
the top of the checkout, where the installer and the README expect it, and goes into the wheel as
the package data ``explorer/resource_files/`` (``explorer.resources`` finds either)."""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["explorer", "explorer.*"]) + ["explorer.resource_files"],
      package_dir={"explorer.resource_files": "resources"},
      package_data={"explorer.resource_files": ["*"]})
