"""Package metadata: version, dependencies, typing marker, public names."""

from __future__ import annotations

import re
from importlib import metadata
from importlib.resources import files

import pytest

import leadqual


def test_version_matches_metadata() -> None:
    assert leadqual.__version__ == metadata.version("leadqual")
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|a\d+|b\d+|rc\d+)?", leadqual.__version__)


def test_runtime_dependencies_are_attrs_and_typing_extensions_only() -> None:
    requires = [req for req in metadata.requires("leadqual") or [] if "extra ==" not in req]
    names = {re.split(r"[ ;<>=!~\[]", req, maxsplit=1)[0].lower(): req for req in requires}
    assert set(names) == {"attrs", "typing-extensions"}


def test_ships_py_typed_and_sample_data() -> None:
    package = files("leadqual")
    assert (package / "py.typed").is_file()
    assert (package / "data" / "sample_leads.jsonl").is_file()
    assert (package / "data" / "sample_events.jsonl").is_file()


def test_metadata() -> None:
    meta = metadata.metadata("leadqual")
    assert meta["Requires-Python"] == ">=3.10"
    assert "MIT" in (meta.get("License-Expression") or meta.get("License") or "")
    assert "leadqual = leadqual.cli.main:main" in {
        f"{ep.name} = {ep.value}" for ep in metadata.entry_points(group="console_scripts")
    }


def test_facade_exports_every_public_name_it_lists() -> None:
    for name in leadqual.__all__:
        assert hasattr(leadqual, name), name
    assert len(set(leadqual.__all__)) == len(leadqual.__all__)
    for name in ("Lead", "Event", "PointsModel", "ScoringModel", "Attr", "Prop", "Score"):
        assert name in leadqual.__all__


def test_errors_derive_from_one_base() -> None:
    assert issubclass(leadqual.ValidationError, leadqual.LeadqualError)
    assert issubclass(leadqual.errors.DuplicateEventError, leadqual.ValidationError)


def test_optional_extras_and_the_test_extra_pulls_them_in() -> None:
    requires = metadata.requires("leadqual") or []

    def extra(name: str) -> set[str]:
        return {
            re.split(r"[ ;<>=!~]", req, maxsplit=1)[0].lower()
            for req in requires
            if f'extra == "{name}"' in req.replace("'", '"')
        }

    assert extra("analytics") == {"scikit-learn"}
    assert extra("plot") == {"matplotlib"}
    assert extra("testing") == {"hypothesis"}
    # tomli reads TOML rule files on Python 3.10 only (3.11 has tomllib)
    assert extra("toml") == {"tomli"}
    # (the build expands the self-reference leadqual[analytics,plot,testing])
    assert extra("test") >= extra("analytics") | extra("plot") | extra("testing") | extra("toml")


def test_the_pytest_plugin_is_registered_and_outcomes_ship() -> None:
    plugins = {ep.name: ep.value for ep in metadata.entry_points(group="pytest11")}
    assert plugins.get("leadqual") == "leadqual.testing.plugin"
    assert (files("leadqual") / "data" / "sample_outcomes.jsonl").is_file()


def test_the_default_rules_json_copy_equals_the_toml_file() -> None:
    # where TOML cannot be read (Python 3.10 without the toml extra) the JSON copy is used
    from leadqual.rulesets.files import loads

    data = files("leadqual") / "data"
    from_toml = loads((data / "default_rules.toml").read_text("utf-8"), "toml")
    from_json = loads((data / "default_rules.json").read_text("utf-8"), "json")
    assert from_json == from_toml


def test_the_facade_holds_what_an_application_writes() -> None:
    assert len(leadqual.__all__) <= 50
    assert all(hasattr(leadqual, name) for name in leadqual.__all__)


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("CHAMP", "frameworks"),
        ("Budget", "frameworks"),
        ("condition_from_dict", "conditions"),
        ("DuplicateEventError", "errors"),
        ("sample_leads", "samples"),
        ("StageChange", "engine"),
        ("Result", "outcomes"),
        ("QualificationState", "qualifier"),
        ("PointsState", "scoring"),
        ("GuardContext", "stages"),
    ],
)
def test_names_that_left_the_facade_still_import_with_a_warning(name: str, module: str) -> None:
    import importlib

    with pytest.warns(DeprecationWarning, match=f"import it from leadqual.{module} as {name}"):
        found = getattr(leadqual, name)
    assert found is getattr(importlib.import_module(f"leadqual.{module}"), name)


@pytest.mark.parametrize("name", ["ScoringModel", "ScoringState"])
def test_protocols_live_in_leadqual_typing(name: str) -> None:
    import leadqual.scoring.protocol
    import leadqual.typing

    with pytest.warns(DeprecationWarning, match=f"import it from leadqual.typing as {name}"):
        found = getattr(leadqual.scoring.protocol, name)
    assert found is getattr(leadqual.typing, name) is getattr(leadqual, name)
    assert leadqual.frameworks.Check is leadqual.typing.Check
