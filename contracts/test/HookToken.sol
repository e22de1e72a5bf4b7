// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title HookToken
/// @notice Test-only ERC-20 that, before each `transferFrom`, makes a call its owner configured (as an
///         ERC-777-style token calls a hook), so a test can reenter the contract that pulls tokens from it.
contract HookToken is ERC20 {
    address public hookTarget;
    bytes public hookCall;
    bool public hookSucceeded;
    bytes public hookResult;

    constructor() ERC20("Hooked Dollar", "HOOK") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Lets `spender` take this token contract's own tokens (so its hook can deposit them).
    function approveOwnTokens(address spender) external {
        _approve(address(this), spender, type(uint256).max);
    }

    /// @notice Sets the call made from this token before each `transferFrom` (empty `data`: none).
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookCall = data;
    }

    /// @notice Makes the configured call (once), then transfers as any ERC-20 does.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        bytes memory data = hookCall;
        if (data.length != 0) {
            delete hookCall;
            (hookSucceeded, hookResult) = hookTarget.call(data);
        }
        return super.transferFrom(from, to, value);
    }
}
