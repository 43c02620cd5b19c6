"""The plugin costs a task nothing: Airflow loads it in every process, only the API server mounts its app."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_plugin_builds_no_app_and_reading_its_apps_does():
    probe = (
        "import sys\n"
        "from storyblok_traffic.ui.plugin import URL_PREFIX, StoryblokUsagePlugin as P\n"
        "print('=', 'storyblok_traffic.ui.app' in sys.modules, 'fastapi' in sys.modules)\n"
        "[mounted] = P.fastapi_apps\n"
        "from storyblok_traffic.ui.app import app\n"
        "print('=', mounted['app'] is app, mounted['url_prefix'] == URL_PREFIX, P.fastapi_apps is P.fastapi_apps)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    told = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("= ")]  # Airflow logs there too
    assert told == [["False", "False"], ["True", "True", "True"]], done.stdout + done.stderr
