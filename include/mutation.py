"""``make mutate``: mutmut over ``storyblok_traffic/rules/`` against the unit tier, and the score.

mutmut finds the code it mutates under ``./``, ``src/`` or ``source/`` and names a mutant after its
module path, while the package lives in ``plugins/``. So the run happens in a workspace,
``.mutate/``, laid out as mutmut expects (``src/storyblok_traffic``, ``tests``, ``include``); its
results stay there for ``cd .mutate && mutmut browse`` or ``mutmut show <name>``.

The score counts killed mutants (a test failed, or timed out) among those that are not equivalent:
``include/mutation_equivalent.toml`` names each equivalent mutant and says why it changes nothing.
A listed mutant that is killed now, or no longer generated, is reported so that the list stays true.

    python -m include.mutation [--target 90] [--jobs 2] [--reuse | --retest]

``--retest`` copies the tests again and tests only the mutants no test failed on (survivors and
timeouts), in minutes instead of a whole run; the package's code must be the one the run mutated.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / ".mutate"
EQUIVALENT = ROOT / "include" / "mutation_equivalent.toml"
MUTATED = "src/storyblok_traffic/rules/"
# The unit tests that reach rules/ (mutmut runs, for each mutant, only those that call its function).
TESTS = ["tests/unit/rules", "tests/unit/test_properties.py", "tests/unit/ui/test_alert_rows.py"]
CONFIG = f"""
[tool.mutmut]
source_paths = ["{MUTATED}"]
also_copy = ["src/", "include/"]
pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-o", "addopts="]
pytest_add_cli_args_test_selection = {json.dumps(TESTS)}
# mutmut bounds a mutant's CPU time by its tests' own durations; the spike trials' module fixture
# (tens of seconds) is not in them, so without a constant an equivalent mutant "times out".
timeout_constant = 120.0
"""
FAILED = {1, 3}  # a test failed (3: pytest's internal error, which mutmut counts as a kill)
KILLED = FAILED | {24, -24, 36, 152, 255}  # or the mutant ran past its timeout
SURVIVED = 0


@dataclass(frozen=True)
class Score:
    killed: int
    survived: list[str]
    equivalent: int
    untested: list[str]  # no test reaches the mutant's function
    stale: list[str]  # listed as equivalent, but killed now or no longer generated

    @property
    def counted(self) -> int:
        return self.killed + len(self.survived) + len(self.untested)

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info")


def prepare() -> None:
    """A fresh workspace: the package under src/, the tests and include beside it, mutmut's settings."""
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    (WORKSPACE / "src").mkdir(parents=True)
    shutil.copytree(ROOT / "plugins" / "storyblok_traffic", WORKSPACE / "src" / "storyblok_traffic", ignore=IGNORE)
    refresh_tests()


def run(jobs: int, names: list[str] | None = None) -> None:
    mutmut = Path(sys.executable).with_name("mutmut")
    subprocess.run([str(mutmut), "run", "--max-children", str(jobs), *(names or [])], cwd=WORKSPACE, check=True)


def refresh_tests() -> None:
    """The repository's tests, include and settings, into a new workspace or again for a retest (mutmut
    copies them into its mutants)."""
    for folder in ("tests", "include"):
        shutil.rmtree(WORKSPACE / folder, ignore_errors=True)
        shutil.copytree(ROOT / folder, WORKSPACE / folder, ignore=IGNORE)
    (WORKSPACE / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + CONFIG)


def results() -> dict[str, int]:
    """Every mutant's exit code, from the files mutmut keeps beside each mutated module."""
    codes: dict[str, int] = {}
    for meta in sorted((WORKSPACE / "mutants" / MUTATED).glob("*.py.meta")):
        codes |= json.loads(meta.read_text())["exit_code_by_key"]
    return codes


def equivalent() -> dict[str, str]:
    """Mutant name -> why it changes nothing."""
    return {name: entry["why"] for name, entry in tomllib.loads(EQUIVALENT.read_text()).items()}


def score(codes: dict[str, int], listed: dict[str, str]) -> Score:
    killed = [name for name, code in codes.items() if code in KILLED]
    survived = [name for name, code in codes.items() if code == SURVIVED]
    untested = [name for name, code in codes.items() if code not in KILLED and code != SURVIVED]
    stale = sorted({*listed} - {*survived, *untested})
    return Score(
        killed=len(killed),
        survived=sorted(n for n in survived if n not in listed),
        equivalent=sum(1 for n in [*survived, *untested] if n in listed),
        untested=sorted(n for n in untested if n not in listed),
        stale=stale,
    )


def by_module(names: list[str]) -> Counter[str]:
    return Counter(name.split(".")[2] for name in names)


def report(codes: dict[str, int], result: Score, target: float) -> str:
    lines = [f"{'module':<14}{'mutants':>8}{'killed':>8}"]
    total, killed = by_module(list(codes)), by_module([n for n, c in codes.items() if c in KILLED])
    lines += [f"{module:<14}{total[module]:>8}{killed[module]:>8}" for module in sorted(total)]
    timeouts = sum(1 for code in codes.values() if code in KILLED - FAILED)
    lines.append(
        f"rules/: {result.killed} killed of {result.counted} that are not equivalent ({result.percent:.1f} %; "
        f"target {target:g} %; {timeouts} of the kills by timeout); {result.equivalent} equivalent, listed in "
        f"{EQUIVALENT.relative_to(ROOT)}"
    )
    for title, names in (
        ("survived (mutmut show <name> in .mutate/)", result.survived),
        ("no test reaches", result.untested),
        ("listed as equivalent but killed or gone now: take them off the list", result.stale),
    ):
        if names:
            lines += [f"{title}:", *(f"  {name}" for name in names)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=90.0, help="least share of mutants killed, in percent")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--reuse", action="store_true", help="score the last run's results again")
    again.add_argument("--retest", action="store_true", help="test the last run's survivors again")
    args = parser.parse_args(argv)
    if args.retest:
        refresh_tests()
        run(args.jobs, [name for name, code in results().items() if code not in FAILED])
    elif not args.reuse:
        prepare()
        run(args.jobs)
    codes = results()
    result = score(codes, equivalent())
    print(report(codes, result, args.target))
    return 0 if result.percent >= args.target and not result.stale else 1


if __name__ == "__main__":
    raise SystemExit(main())
