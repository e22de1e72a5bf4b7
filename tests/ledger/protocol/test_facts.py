"""Contract facts come from the compiler's output, and the contracts' NatSpec says only what is true."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ledger.protocol.facts import ContractFacts, enum_label, load_artifacts, natspec_tags, read_facts
from tests.ledger.chain_fixtures import BUILD, build_record

CONTRACTS = ("Consortium", "Agreements", "ReferralRewards", "PartnerRatings")
_TICKED = re.compile(r"`([A-Za-z_]\w*)`")


def _facts(name: str, build: Path = BUILD) -> ContractFacts:
    return read_facts(load_artifacts(build, name))


def _named_in_notices(facts: ContractFacts) -> list[tuple[str, str, set[str]]]:
    """Each documented error and event whose notice or ``@param`` tags name something it does not have."""
    known = set(facts.errors) | set(facts.events) | set(facts.structs) | set(facts.enums)
    known |= {member for members in facts.enums.values() for member in members}
    wrong = []
    for declaration in [*facts.errors.values(), *facts.events.values()]:
        named = set(_TICKED.findall(declaration.notice)) - known
        named |= set(declaration.params_doc)
        stray = named - set(declaration.parameters)
        if stray:
            wrong.append((declaration.name, declaration.notice, stray))
    return wrong


@pytest.mark.parametrize("name", CONTRACTS)
def test_every_notice_names_only_parameters_its_error_or_event_has(name: str) -> None:
    assert _named_in_notices(_facts(name)) == []


@pytest.mark.parametrize("name", CONTRACTS)
def test_every_custom_error_and_event_has_a_notice(name: str) -> None:
    facts = _facts(name)
    assert facts.errors
    assert facts.events
    assert [item.name for item in [*facts.errors.values(), *facts.events.values()] if not item.notice] == []


def test_the_check_fails_on_a_notice_naming_a_missing_parameter(tmp_path: Path) -> None:
    """The NatSpec check above is not vacuous: a notice that names `account` on an error without one fails."""
    artifacts = load_artifacts(BUILD, "Consortium")
    for node in _nodes(artifacts[0]["ast"]):
        if node.get("nodeType") == "ErrorDefinition" and node["name"] == "ConsortiumNoFounders":
            node["documentation"] = {"text": "@notice `account` founded nothing."}
    [(error, _, stray)] = _named_in_notices(read_facts(artifacts))
    assert (error, stray) == ("ConsortiumNoFounders", {"account"})


def _nodes(node: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _nodes(value)
    elif isinstance(node, list):
        for value in node:
            found += _nodes(value)
    return found


def test_enums_come_from_the_compiler_in_declaration_order() -> None:
    agreements = _facts("Agreements")
    assert agreements.enums["Kind"][0] == "JointMarketing"
    assert agreements.enums["Status"][0] == "None"
    assert "MemberStatus" in _facts("Consortium").enums  # declared in IConsortium, a dependency


def test_typed_data_and_domains_come_from_the_typehash_constants_and_constructors() -> None:
    agreements, referrals = _facts("Agreements"), _facts("ReferralRewards")
    assert agreements.typed_data["AgreementApproval"] == [
        {"name": "agreementId", "type": "uint256"},
        {"name": "version", "type": "uint32"},
        {"name": "contentHash", "type": "bytes32"},
    ]
    assert [field["name"] for field in referrals.typed_data["ConversionVoucher"]][:3] == [
        "programId",
        "referrer",
        "commitment",
    ]
    assert agreements.domain is not None
    assert referrals.domain is not None
    assert agreements.domain["name"] != referrals.domain["name"]


def test_one_spelling_for_every_enum_member() -> None:
    record = build_record("Agreements", "0x" + "11" * 20)
    assert record.enum_labels("Kind")[:2] == ["joint_marketing", "resource_pooling"]
    assert record.enum_labels("Status") == [enum_label(member) for member in record.enums["Status"]]
    assert enum_label("CoDevelopment") == "co_development"


def test_struct_results_are_read_by_field_name_with_enums_as_labels() -> None:
    record = build_record("Agreements", "0x" + "11" * 20)
    fields = record.structs["Summary"]
    lead = "0x" + "22" * 20
    raw = (0, 1, lead, lead, 10, 20, 1, 2, 3, 4, 5)  # as web3 returns the Summary struct
    named = record.named("agreement", raw)
    assert list(named) == fields
    assert (named["kind"], named["status"], named["pendingVersion"]) == ("joint_marketing", "proposed", 2)


def test_natspec_tags_are_split_by_tag() -> None:
    tags = natspec_tags("@notice Two\n lines. @param id the id\n @dev why")
    assert tags == {"notice": "Two lines.", "param:id": "the id", "dev": "why"}


def test_a_missing_build_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="compile the contracts"):
        load_artifacts(tmp_path, "Agreements")
