"""The contracts' facts a client needs to act on them: what ``/v1/contracts`` answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.assets import Asset
from api.schemas.common import Address


class TypedDataField(BaseModel):
    """One field of an EIP-712 struct type."""

    name: str
    type: str


class Eip712Domain(BaseModel):
    """A contract's whole EIP-712 domain, as ``eth_signTypedData_v4`` takes it."""

    name: str
    version: str
    chainId: int  # noqa: N815 (EIP-712's own spelling)
    verifyingContract: Address  # noqa: N815


class ContractInterface(BaseModel):
    """One deployed contract: where it is, its ABI, and what the compiler's NatSpec says of it."""

    address: Address
    block: int = Field(description="the block of its deployment transaction")
    abi: list[dict[str, Any]] = Field(description="the ABI, as the compiler produced it")
    errors: dict[str, str] = Field(
        description="each custom error's text by name: its NatSpec notice, the words the command line shows, "
        "the error's parameters in backquotes (e.g. '`account` is not a party to agreement `id`.')"
    )
    events: dict[str, str] = Field(description="each event's NatSpec notice, by name")
    enums: dict[str, list[str]] = Field(
        description="each enum's values in order, in their one spelling (snake case), by enum name"
    )
    eip712_domain: Eip712Domain | None = Field(
        description="the EIP-712 domain its signatures are made in (None if it verifies none)"
    )
    typed_data: dict[str, list[TypedDataField]] = Field(
        description="each EIP-712 struct type it verifies, by primary type"
    )


class ContractFacts(BaseModel):
    """Every coopledger contract on the indexed chain: a client (the page, another signer) reads
    addresses, ABIs, EIP-712 domains and types and error texts here, from the deployment the store is
    indexed with, and copies none of them."""

    chain_id: int
    network: str = Field(description="the name the deployment was made under")
    rpc_url: str | None = Field(
        description="the chain's RPC URL for a wallet that does not know the chain yet (the operator's "
        "`wallet_rpc_url`), or null: the member adds the network by hand"
    )
    contracts: dict[str, ContractInterface] = Field(description="by contract name (Consortium, ...)")
    token_abi: list[dict[str, Any]] = Field(
        description="the ERC-20 functions a client calls on a payment asset (allowance, approve, balanceOf, "
        "decimals, symbol)"
    )
    assets: list[Asset] = Field(
        description="the ERC-20s the members ever approved, with their symbol and decimals (as /v1/assets); "
        "the native coin is always accepted and not listed"
    )
