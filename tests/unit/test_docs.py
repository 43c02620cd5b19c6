"""The guides say what the code does: every setting is documented, and every documented one exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import yaml

from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "configuration.md"


def settings(cls: type[msgspec.Struct]) -> set[str]:
    return {f.name for f in msgspec.structs.fields(cls)}


def documented() -> tuple[set[str], set[str], set[str]]:
    """The keys of the guide's reference file: (monitor, channel, organisation) settings."""
    [block] = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), flags=re.S)
    doc: dict[str, Any] = yaml.safe_load(block)
    channels = {key for channel in doc["channels"] for key in channel}
    orgs = {key for org in doc["organisations"] for key in org}
    return set(doc), channels, orgs


def test_every_setting_is_in_the_configuration_guide_and_nothing_else():
    monitor, channels, orgs = documented()
    assert monitor == settings(MonitorConfig)
    assert channels == settings(ChannelConfig)
    assert orgs == settings(OrgConfig)


def test_the_guides_links_lead_to_files_that_exist():
    guides = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "benchmarks" / "README.md", *ROOT.glob("docs/*.md")]
    for guide in guides:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", guide.read_text()):
            if not target.startswith("http"):
                assert (guide.parent / target).exists(), f"{guide.relative_to(ROOT)} links to {target}"


def test_the_architecture_map_names_every_module_of_the_package():
    """CONTRIBUTING.md's map is where a newcomer looks a module up: each one is named there."""
    package = ROOT / "plugins" / "storyblok_traffic"
    text = (ROOT / "CONTRIBUTING.md").read_text()
    map_ = text[text.index("## Architecture") : text.index("## Development")]
    modules = [
        p
        for p in package.rglob("*.py")
        if p.name != "__init__.py" and "versions" not in p.parts and "__pycache__" not in p.parts
    ]
    assert modules
    missing = [str(p.relative_to(package)) for p in modules if not re.search(rf"\b{re.escape(p.stem)}\b", map_)]
    assert missing == []
