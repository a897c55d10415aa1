"""The README is the front door: its commands exist and its settings table is complete."""

import re
from pathlib import Path

from triage.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands():
    assert "make run" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run:", "test:", "bench:"):
        assert re.search(rf"^{target}", makefile, re.M), target


def test_every_documented_subcommand_exists():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    documented = set(re.findall(r"`triage ([a-z][a-z-]+)", README))
    assert documented <= set(sub.choices), documented - set(sub.choices)


def test_every_cli_option_of_predict_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    options = {o for a in sub.choices["predict"]._actions for o in a.option_strings
               if o.startswith("--") and o != "--help"}
    assert all(o in README for o in options), [o for o in options if o not in README]


def test_every_service_setting_is_in_the_readme():
    from service.settings import Settings

    missing = [f"TRIAGE_{name.upper()}" for name in Settings.model_fields
               if f"`TRIAGE_{name.upper()}`" not in README]
    assert not missing, missing
