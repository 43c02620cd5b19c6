"""The release artefact (issue 25): ``python -m build`` makes a wheel and an sdist that ``twine check``
accepts, of the one version, with the licence, the package's data files and both entry points, and
nothing of the repository's tests or tools."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import storyblok_traffic

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the backend pinned in requirements-dev.txt, not a download into a fresh venv.
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True, text=True)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def test_twine_accepts_both(dist: dict[str, Path]):
    check = [sys.executable, "-m", "twine", "check", "--strict", str(dist["wheel"]), str(dist["sdist"])]
    done = subprocess.run(check, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_wheel_is_the_packages_one_version_with_its_licence(dist: dict[str, Path]):
    version = storyblok_traffic.__version__
    assert dist["wheel"].name == f"storyblok_traffic_monitor-{version}-py3-none-any.whl"
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        info = f"storyblok_traffic_monitor-{version}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
        assert f"Version: {version}\n" in metadata
        assert "License-Expression: Apache-2.0\n" in metadata
        assert f"{info}/licenses/LICENSE" in wheel.namelist()


def test_the_wheel_carries_the_packages_files_and_entry_points_and_nothing_else(dist: dict[str, Path]):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = wheel.namelist()
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    for data in (
        "ui/page.html",
        "plans.toml",  # the plan table the bill is made from
        "warehouse/migrations/script.py.mako",
        "warehouse/migrations/versions/r0001_baseline.py",
    ):
        assert f"storyblok_traffic/{data}" in names, data
    info = f"storyblok_traffic_monitor-{storyblok_traffic.__version__}.dist-info"
    assert {n.split("/")[0] for n in names} == {"storyblok_traffic", info}
    assert "provider_info = storyblok_traffic.provider_info:get_provider_info" in entry_points
    assert "storyblok_usage = storyblok_traffic.ui.plugin:StoryblokUsagePlugin" in entry_points
    assert "storyblok-traffic = storyblok_traffic.cli:main" in entry_points


def test_the_sdist_holds_what_builds_the_wheel_and_what_a_user_reads(dist: dict[str, Path]):
    with tarfile.open(dist["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "CHANGELOG.md", "LICENSE", "plugins/storyblok_traffic/__init__.py"} <= names
    assert not any(name.startswith(("tests/", "include/", "benchmarks/", "dags/")) for name in names)
