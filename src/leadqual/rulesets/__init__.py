"""Rule sets: versioned bundles of rules, their files, and their plain-data form."""

from leadqual._moved import moved
from leadqual.rulesets.codec import (
    ruleset_fingerprint,
    ruleset_from_dict,
    ruleset_to_dict,
)
from leadqual.rulesets.diff import Change, diff_rulesets
from leadqual.rulesets.files import default_ruleset, dump, dumps, load, loads
from leadqual.rulesets.ruleset import RuleSet
from leadqual.rulesets.schema import schema, schema_text

__all__ = [
    "Change",
    "RuleSet",
    "default_ruleset",
    "diff_rulesets",
    "dump",
    "dumps",
    "load",
    "loads",
    "ruleset_fingerprint",
    "ruleset_from_dict",
    "ruleset_to_dict",
    "schema",
    "schema_text",
]

__getattr__ = moved("leadqual.rulesets", {"CodecError": "leadqual.errors.CodecError"})
