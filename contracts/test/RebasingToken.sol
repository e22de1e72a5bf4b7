// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title RebasingToken
/// @notice Test-only ERC-20 whose balances all move by the same factor when anybody calls `rebase`, without a
///         transfer (as a rebasing stablecoin's do): what a contract holds shrinks under what it owes.
contract RebasingToken is ERC20 {
    uint256 private _percent = 100;

    constructor() ERC20("Elastic Dollar", "ELASTIC") {}

    /// @notice Mints `amount` (as balances read now) to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount * 100 / _percent);
    }

    /// @notice Sets every balance to `percent` % of its stored figure.
    function rebase(uint256 percent) external {
        _percent = percent;
    }

    /// @notice The balance of `account` after the rebase.
    function balanceOf(address account) public view override returns (uint256) {
        return super.balanceOf(account) * _percent / 100;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value * 100 / _percent);
    }
}
