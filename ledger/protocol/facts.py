"""Contract facts read from the compiler's output: enums, custom errors and events with their NatSpec,
struct fields and EIP-712 types and domains.

The ABI gives names and types but not what an enum's values mean, what an error says, nor a contract's
EIP-712 types; the compiler's AST (in every build artifact Brownie writes, ``build/contracts/<Name>.json``)
has all of them, from the sources as the compiler parsed them. :func:`read_facts` reads them once, at
deployment, into the manifest; nothing else in coopledger copies them.

Why the AST and not ``userdoc``/``devdoc``: Brownie 1.22 keeps one merged ``natspec`` per artifact, built as
``{**userdoc, **devdoc}``, so a contract whose devdoc documents any error loses every error's ``@notice``
(``Agreements`` does). The AST's documentation nodes hold the same NatSpec text, per declaration.

Spelling: an enum member is shown, and accepted, in one spelling everywhere (command line, API,
dashboard): its Solidity name in snake case (:func:`enum_label`, ``JointMarketing`` → ``joint_marketing``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.exceptions import ManifestError

__all__ = [
    "ContractFacts",
    "Declaration",
    "TypedField",
    "enum_label",
    "load_artifacts",
    "natspec_tags",
    "read_facts",
]

TypedField = dict[str, str]  # {"name": ..., "type": ...}, as EIP-712 and eth_account take them

_TAG = re.compile(r"@(\w+(?::\w+)?)\s")
_TYPE_STRING = re.compile(r"^(\w+)\((.*)\)$")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def enum_label(member: str) -> str:
    """The one spelling of an enum member outside Solidity: its name in snake case.

    Example
    -------
    >>> enum_label("JointMarketing"), enum_label("CoDevelopment"), enum_label("Active")
    ('joint_marketing', 'co_development', 'active')
    """
    return _WORD_BOUNDARY.sub("_", member).lower()


def natspec_tags(text: str) -> dict[str, str]:
    """The tags of a NatSpec comment as the compiler stores it (``documentation.text``), each on one line.

    ``@param`` tags are keyed ``param:<name>``; text before the first tag counts as ``notice``.

    Example
    -------
    >>> natspec_tags("@notice `account` is not a party.\\n @param account who asked")
    {'notice': '`account` is not a party.', 'param:account': 'who asked'}
    """
    tags: dict[str, str] = {}
    pieces = _TAG.split(" " + text.strip() + " ")
    if pieces[0].strip():
        tags["notice"] = " ".join(pieces[0].split())
    for tag, body in zip(pieces[1::2], pieces[2::2], strict=True):
        words = body.split()
        if tag == "param" and words:
            tags[f"param:{words[0]}"] = " ".join(words[1:])
        else:
            tags[tag] = " ".join(words)
    return tags


@dataclass(frozen=True)
class Declaration:
    """A documented error or event: its parameter names and its NatSpec notice."""

    name: str
    parameters: tuple[str, ...]
    notice: str
    params_doc: dict[str, str] = field(default_factory=dict)


@dataclass
class ContractFacts:
    """What the compiler knows of one contract and the project sources it inherits or imports.

    Attributes
    ----------
    errors, events
        Each custom error and event declared in the project's sources, by name.
    enums
        Each enum's member names in declaration order (the ABI gives an enum as ``uint8``).
    structs
        Each struct's field names in order (the ABI gives a struct as a tuple).
    typed_data
        Each EIP-712 type hashed by a ``*_TYPEHASH`` constant, by primary type, as ``{name, type}`` fields.
    domain
        The EIP-712 domain name and version the contract's constructor gives ``EIP712``, if it has one.
    """

    errors: dict[str, Declaration] = field(default_factory=dict)
    events: dict[str, Declaration] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    structs: dict[str, list[str]] = field(default_factory=dict)
    typed_data: dict[str, list[TypedField]] = field(default_factory=dict)
    domain: dict[str, str] | None = None


def load_artifacts(build_dir: Path, name: str) -> list[dict[str, Any]]:
    """The build artifact of contract ``name`` and those of the project sources it depends on.

    Brownie keeps artifacts of the project's contracts and of some of the libraries they import; a missing
    library's is no loss (only the project's sources are read), a missing project source's is.

    Raises
    ------
    ManifestError
        If the contract's artifact, or that of a project source it was compiled from, is missing (the
        contracts were not compiled).
    """
    fix = "compile the contracts (`make compile`)"
    main = _read_artifact(build_dir / f"{name}.json")
    if main is None:
        raise ManifestError(f"No build artifact {build_dir / name}.json: {fix}.")
    seen: dict[str, dict[str, Any]] = {name: main}
    pending = list(main.get("dependencies", []))
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        artifact = _read_artifact(build_dir / f"{current}.json")
        if artifact is not None:
            seen[current] = artifact
            pending.extend(artifact.get("dependencies", []))
    found = [artifact for artifact in seen.values() if _is_project_source(artifact)]
    wanted = {str(path) for path in main.get("allSourcePaths", {}).values() if _is_project_path(str(path))}
    missing = wanted - {str(artifact["sourcePath"]) for artifact in found}
    if missing:
        raise ManifestError(f"No build artifact for {', '.join(sorted(missing))}: {fix}.")
    return found


def _read_artifact(path: Path) -> dict[str, Any] | None:
    try:
        artifact: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return artifact


def read_facts(artifacts: Sequence[Mapping[str, Any]]) -> ContractFacts:
    """The facts of a contract from its build artifacts (:func:`load_artifacts`): each artifact's AST."""
    facts = ContractFacts()
    for artifact in artifacts:
        for node in _walk(artifact["ast"]):
            kind = node.get("nodeType")
            if kind in ("ErrorDefinition", "EventDefinition"):
                table = facts.errors if kind == "ErrorDefinition" else facts.events
                table[node["name"]] = _declaration(node)
            elif kind == "EnumDefinition":
                facts.enums[node["name"]] = [member["name"] for member in node["members"]]
            elif kind == "StructDefinition":
                facts.structs[node["name"]] = [member["name"] for member in node["members"]]
            elif (
                kind == "VariableDeclaration" and node.get("constant") and node["name"].endswith("_TYPEHASH")
            ):
                primary, fields = _typed_data(node)
                facts.typed_data[primary] = fields
            elif kind == "ModifierInvocation" and node["modifierName"].get("name") == "EIP712":
                name, version = (argument["value"] for argument in node["arguments"])
                facts.domain = {"name": name, "version": version}
    return facts


def _is_project_source(artifact: Mapping[str, Any]) -> bool:
    return _is_project_path(str(artifact.get("sourcePath", "")))


def _is_project_path(path: str) -> bool:
    return path.startswith("contracts/") and not path.startswith("contracts/test/")


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _declaration(node: Mapping[str, Any]) -> Declaration:
    documentation = node.get("documentation") or {}
    tags = natspec_tags(documentation.get("text", ""))
    return Declaration(
        name=node["name"],
        parameters=tuple(parameter["name"] for parameter in node["parameters"]["parameters"]),
        notice=tags.get("notice", ""),
        params_doc={
            key.removeprefix("param:"): text for key, text in tags.items() if key.startswith("param:")
        },
    )


def _typed_data(node: Mapping[str, Any]) -> tuple[str, list[TypedField]]:
    """``keccak256("Name(type name,...)")``: the EIP-712 type string the constant hashes, parsed."""
    literals = [item["value"] for item in _walk(node["value"]) if item.get("nodeType") == "Literal"]
    match = _TYPE_STRING.match("".join(literals))
    if match is None:
        raise ManifestError(f"{node['name']} does not hash an EIP-712 type string: {literals!r}")
    fields = [
        dict(zip(("type", "name"), member.split(), strict=True)) for member in match.group(2).split(",")
    ]
    return match.group(1), [{"name": item["name"], "type": item["type"]} for item in fields]
