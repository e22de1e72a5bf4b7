"""``/v1/contracts``: the one source of contract facts for clients that act on the chain."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Connection_, Service
from api.errors import ApiError, ErrorBody
from api.schemas.assets import Asset
from api.schemas.contracts import ContractFacts, ContractInterface
from ledger.protocol.eip712 import domain
from ledger.protocol.tokens import ERC20_ABI
from ledger.store import queries

router = APIRouter(prefix="/contracts", tags=["contracts"])


@router.get(
    "",
    operation_id="contract_facts",
    responses={409: {"model": ErrorBody, "description": "nothing is indexed yet"}},
)
def contract_facts(service: Service, connection: Connection_) -> ContractFacts:
    """Every contract of the deployment the store is indexed with: its address, ABI, custom errors' and
    events' texts, enums, and the EIP-712 domain and types of the signatures it verifies (the page signs
    agreement approvals and conversion vouchers from these); and the payment assets with their symbol and
    decimals. Read-only: a client sends its transactions from its own wallet to the chain."""
    manifest = service.store.deployment()
    if manifest is None:
        raise ApiError(409, "Nothing is indexed yet: run `coopledger index` and ask again.")
    return ContractFacts(
        chain_id=manifest.chain_id,
        network=manifest.network,
        rpc_url=service.settings.wallet_rpc_url,
        contracts={
            name: ContractInterface.model_validate(
                {
                    "address": record.address,
                    "block": record.block,
                    "abi": record.abi,
                    "errors": record.errors,
                    "events": record.events,
                    "enums": {enum: record.enum_labels(enum) for enum in record.enums},
                    "eip712_domain": domain(record, manifest.chain_id),
                    "typed_data": record.typed_data,
                }
            )
            for name, record in manifest.contracts.items()
        },
        token_abi=ERC20_ABI,
        assets=[Asset.model_validate(row) for row in queries.every_asset(connection)],
    )
