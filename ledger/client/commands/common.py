"""What every member command shares: the options that say where and as whom (declared once, in
:func:`member_command`), the connection they open, the confirmation before a write, the output (rich, or one
JSON object with ``--json``), and error handling that turns every failure into a message and an exit code,
never a traceback."""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer
from rich.console import Console
from rich.markup import escape
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, Web3Exception

from ledger.client.transactions import Chain, RevertError, Sent
from ledger.client.wallet import Wallet
from ledger.exceptions import CoopLedgerError
from ledger.protocol.addresses import parse_address
from ledger.protocol.manifest import load_manifest
from ledger.protocol.tokens import ERC20_ABI
from ledger.settings import load_settings

__all__ = [
    "ConfigOption",
    "Output",
    "Session",
    "address",
    "amount",
    "approve_if_needed",
    "confirm",
    "connect",
    "decimals_of",
    "failures",
    "hash32",
    "id_command",
    "member_command",
    "open_wallet",
    "tokens",
    "transact",
]

console = Console()
errors = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option(help="TOML settings file (\\[coopledger] table)")]
RpcOption = Annotated[str | None, typer.Option(help="JSON-RPC endpoint (COOPLEDGER_RPC_URL)")]
ManifestOption = Annotated[Path | None, typer.Option(help="deployment manifest (COOPLEDGER_MANIFEST)")]
KeystoreOption = Annotated[
    Path | None,
    typer.Option(
        envvar="COOPLEDGER_KEYSTORE",
        help="keystore file of the account that signs; its password is asked for, or read from "
        "COOPLEDGER_KEYSTORE_PASSWORD",
    ),
]
DevAccountOption = Annotated[
    int | None,
    typer.Option(
        envvar="COOPLEDGER_DEV_ACCOUNT", help="sign with this test account (development chains only)"
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation (for scripts)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON object instead of text")]
# (the parameter is ``as_json``; the flag stays ``--json``)

_PRECISION = 200  # digits: a uint256 has 78, and decimals add no more than that
_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class Output:
    """Prints a result as text (rich) or as one JSON object."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, data: dict[str, Any], text: str) -> None:
        if self.as_json:
            print(json.dumps(data, default=str))
        else:
            console.print(text)

    def sent(self, sent: Sent, what: str, **extra: Any) -> None:
        self.result(
            {**sent.as_dict(), **extra},
            f"[green]{what}[/]\n  tx {sent.tx_hash}\n  block {sent.block}, gas used {sent.gas_used:,}"
            + "".join(f"\n  {key.replace('_', ' ')} {value}" for key, value in extra.items()),
        )


@dataclass
class Session:
    """Where and as whom one command runs: the shared options (:func:`member_command` declares them), and
    the connection and output they give."""

    config: Path | None = None
    rpc_url: str | None = None
    manifest: Path | None = None
    keystore: Path | None = None
    dev_account: int | None = None
    yes: bool = False
    as_json: bool = False
    sign: bool = True
    _chain: Chain | None = field(default=None, repr=False)

    @property
    def out(self) -> Output:
        return Output(self.as_json)

    def connect(self) -> Chain:
        """The chain and the manifest's contracts (with the signing account for a write), opened once."""
        if self._chain is None:
            self._chain = connect(
                self.config, self.rpc_url, self.manifest, self.keystore, self.dev_account, self.sign
            )
        return self._chain

    def announce(self, sent: Sent, contract: str, event: str, field: str, noun: str) -> None:
        """Say the id the transaction ``sent`` created (``field`` of its ``contract.event``) in text output
        (a JSON reader finds it among the events)."""
        created = self.connect().emitted(sent, contract, event)
        if created and not self.as_json:
            typer.echo(f"  {noun} id {created[0][field]}")

    def transact(
        self, what: str, contract: str, function: str, *args: Any, value: int = 0, **extra: Any
    ) -> Sent:
        """:func:`transact` on this session's chain, confirmation and output."""
        return transact(
            self.connect(), self.yes, self.out, what, contract, function, *args, value=value, **extra
        )


_WHERE = {
    "config": (ConfigOption, None),
    "rpc_url": (RpcOption, None),
    "manifest": (ManifestOption, None),
}
_WHO = {
    "keystore": (KeystoreOption, None),
    "dev_account": (DevAccountOption, None),
    "yes": (YesOption, False),
}
_FORMAT = {"as_json": (JsonOption, False)}


def member_command(
    app: typer.Typer, name: str | None = None, *, sign: bool = True, help_text: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command on ``app`` whose first parameter is a :class:`Session`.

    The command gets the options every member command shares — ``--config``, ``--rpc-url``, ``--manifest``,
    and for a write (``sign``) ``--keystore``, ``--dev-account`` and ``--yes``, then ``--json`` — declared
    here once, and its failures become messages (:func:`failures`).
    """

    def register(function: Callable[..., None]) -> Callable[..., None]:
        hints = get_type_hints(function, include_extras=True)
        own = [
            parameter.replace(annotation=hints[parameter.name])
            for parameter in list(inspect.signature(function).parameters.values())[1:]
        ]
        shared = {**_WHERE, **(_WHO if sign else {}), **_FORMAT}
        options = [
            inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
            for key, (annotation, default) in shared.items()
        ]

        @functools.wraps(function)
        def command(*args: Any, **kwargs: Any) -> None:
            session = Session(**{key: kwargs.pop(key) for key in shared}, sign=sign)
            with failures(session.as_json):
                function(session, *args, **kwargs)

        command.__signature__ = inspect.Signature([*own, *options])  # type: ignore[attr-defined]
        command.__annotations__ = {parameter.name: parameter.annotation for parameter in [*own, *options]}
        del command.__wrapped__  # Typer must read the signature above, not the function's
        app.command(name, help=help_text)(command)
        return function

    return register


@contextmanager
def failures(as_json: bool = False) -> Iterator[None]:
    """Turn coopledger's errors into a message on stderr (or JSON) and exit code 1 (2 for bad input)."""
    try:
        yield
    except RevertError as exc:
        _fail(as_json, str(exc), 1, {"error": exc.error, "args": exc.arguments, "sent": False})
    except CoopLedgerError as exc:
        _fail(as_json, str(exc), 1, {})
    except typer.BadParameter as exc:
        _fail(as_json, str(exc), 2, {})


def _fail(as_json: bool, message: str, code: int, extra: dict[str, Any]) -> None:
    if as_json:
        print(json.dumps({"ok": False, "message": message, **extra}, default=str))
    else:
        # not wrapped at the console's width: a path or an address in the message stays whole, to copy
        errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code=code)


def connect(
    config: Path | None,
    rpc_url: str | None,
    manifest: Path | None,
    keystore: Path | None = None,
    dev_account: int | None = None,
    sign: bool = True,
) -> Chain:
    """Open the chain and the manifest's contracts, with the signing account when ``sign``.

    Raises
    ------
    CoopLedgerError
        For invalid settings, an unreadable manifest, an unreachable node, or an account that cannot be
        opened (the wrong keystore password included).
    """
    settings = load_settings(config_file=config, rpc_url=rpc_url, manifest=manifest)
    deployment = load_manifest(settings.manifest)
    w3 = Web3(HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
    if not w3.is_connected():
        raise CoopLedgerError(f"The node at {settings.rpc_url} does not answer. Check --rpc-url.")
    chain_id = w3.eth.chain_id
    if chain_id != deployment.chain_id:
        raise CoopLedgerError(
            f"The manifest {settings.manifest} is for chain {deployment.chain_id}, but the node at "
            f"{settings.rpc_url} is chain {chain_id}. Give the manifest of that chain."
        )
    wallet = open_wallet(keystore, dev_account, chain_id) if sign else None
    return Chain(w3, deployment, wallet)


def open_wallet(keystore: Path | None, dev_account: int | None, chain_id: int) -> Wallet:
    """The account that signs: a keystore file (its password from COOPLEDGER_KEYSTORE_PASSWORD, or asked
    for) or, on a development chain only, a test account.

    Raises
    ------
    CoopLedgerError
        If neither or both are given, or the account cannot be opened (the wrong password included).
    """
    if (keystore is None) == (dev_account is None):
        raise CoopLedgerError(
            "Say who signs: give --keystore FILE, or --dev-account N on a development chain."
        )
    if keystore is not None:
        password = os.environ.get("COOPLEDGER_KEYSTORE_PASSWORD")
        if password is None:
            password = typer.prompt(f"Password for {keystore}", hide_input=True)
        return Wallet.from_keystore(keystore, password)
    assert dev_account is not None
    return Wallet.dev(dev_account, chain_id)


def confirm(chain: Chain, action: str, yes: bool, as_json: bool) -> None:
    """Ask before sending (simulation has passed); ``--yes`` skips the question."""
    if yes:
        return
    assert chain.wallet is not None
    if as_json:
        raise typer.BadParameter("--json needs --yes: there is no one to answer a question")
    if not typer.confirm(f"{action}, signed by {chain.wallet.address} ({chain.wallet.source}). Send?"):
        raise typer.Exit(code=1)


def transact(
    chain: Chain,
    yes: bool,
    out: Output,
    what: str,
    contract: str,
    function: str,
    *args: Any,
    value: int = 0,
    **extra: Any,
) -> Sent:
    """Simulate (a revert stops here, explained), confirm, send, print the hash, block and gas used."""
    chain.simulate(contract, function, *args, value=value)
    confirm(chain, what, yes, out.as_json)
    sent = chain.send(contract, function, *args, value=value)
    out.sent(sent, what, **extra)
    return sent


def address(value: str, what: str = "address") -> str:
    """``value`` as a checksummed address (:func:`~ledger.protocol.addresses.parse_address`), or a clear error
    naming ``what``."""
    try:
        return parse_address(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} {exc}") from None


def amount(value: str, decimals: int, what: str = "amount") -> int:
    """A decimal amount in whole tokens (``"12.5"``) as the smallest unit, exactly; never negative."""
    if not _AMOUNT.match(value):
        raise typer.BadParameter(f"{what} {value!r} is not an amount: write digits, e.g. 12 or 12.5")
    try:
        with localcontext(prec=_PRECISION):  # the default 28 digits would round a uint256
            units = Decimal(value).scaleb(decimals)
    except InvalidOperation:
        raise typer.BadParameter(f"{what} {value!r} is not an amount") from None
    if units != units.to_integral_value():
        raise typer.BadParameter(f"{what} {value!r} has more than {decimals} decimals")
    if units >= 2**256:
        raise typer.BadParameter(f"{what} {value!r} is too large for a uint256")
    return int(units)


def tokens(units: int, decimals: int) -> str:
    """Smallest units as whole tokens, exactly: ``tokens(12_500_000, 6) == "12.5"``."""
    with localcontext(prec=_PRECISION):
        text = format(Decimal(units).scaleb(-decimals), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def hash32(value: str, what: str) -> bytes:
    """A 32-byte hash given as 0x and 64 hex digits."""
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise typer.BadParameter(f"{what} {value!r} is not 0x followed by 64 hex digits")
    return bytes.fromhex(value[2:])


def decimals_of(chain: Chain, asset: str) -> int:
    """The decimals of ``asset`` (18 for the native coin, address 0)."""
    if int(asset, 16) == 0:
        return 18
    token = chain.w3.eth.contract(address=Web3.to_checksum_address(asset), abi=ERC20_ABI)
    try:
        return int(token.functions.decimals().call())
    except (ContractLogicError, Web3Exception, ValueError) as exc:  # not an ERC-20 we can read
        raise CoopLedgerError(f"{asset} does not answer decimals(): is it an ERC-20 token?") from exc


def approve_if_needed(chain: Chain, yes: bool, out: Output, asset: str, spender: str, units: int) -> None:
    """Approve ``spender`` for ``units`` of ERC-20 ``asset`` first when its allowance is short."""
    if int(asset, 16) == 0:
        return
    assert chain.wallet is not None
    token = chain.w3.eth.contract(address=Web3.to_checksum_address(asset), abi=ERC20_ABI)
    if int(token.functions.allowance(chain.wallet.address, spender).call()) >= units:
        return
    confirm(chain, f"Approve {spender} to take {units} units of {asset}", yes, out.as_json)
    chain.send_call(token.functions.approve(spender, units), "ERC20", "approve")


def id_command(
    app: typer.Typer, name: str, help_text: str, noun: str, contract: str, function: str, what: str
) -> None:
    """Register on ``app`` a write command ``name ID`` that calls ``contract.function(ID)``: the id of a
    ``noun`` (agreement, program), the action described as ``"{what} {noun} {ID}"``."""

    def command(session: Session, identifier: int) -> None:
        session.transact(f"{what} {noun} {identifier}", contract, function, identifier)

    # annotations are strings here (from __future__): the argument's, which depends on ``noun``, is set
    command.__annotations__["identifier"] = Annotated[
        int, typer.Argument(min=1, metavar=noun.upper(), help=f"the {noun}'s id")
    ]
    command.__annotations__["session"] = Session
    member_command(app, name, help_text=help_text)(command)
