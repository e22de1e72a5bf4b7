// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title Payments
/// @notice How coopledger's contracts take money in and send it out, in the native coin (asset `address(0)`)
///         or an ERC-20 the consortium approved.
/// @dev Which tokens are safe is the members' decision (`IConsortium.isApprovedAsset`): no contract can tell
///      a rebasing token (whose balances move without transfers) from a plain one when it receives it.
///      `collect` adds a second line of defence against tokens that deliver less than they were asked to move
///      (fee-on-transfer), which it can see.
library Payments {
    using SafeERC20 for IERC20;

    /// @notice The payment had to send exactly `expected` as native value; `sent` was sent.
    error PaymentsWrongValue(uint256 expected, uint256 sent);
    /// @notice The token delivered `received` instead of `amount` (a token that charges a fee on transfer is
    ///         refused even when approved).
    error PaymentsTransferMismatch(uint256 amount, uint256 received);

    /// @notice Takes `amount` of `asset` from the caller: the native value sent with the call, or an ERC-20
    ///         transfer (with allowance) whose arrival is checked against the contract's balance.
    /// @param asset address(0) for the native coin, else the ERC-20 contract.
    /// @param amount The exact amount to take.
    /// @param value The native value sent with the call (`msg.value` of the payable caller).
    function collect(address asset, uint256 amount, uint256 value) internal {
        if (asset == address(0)) {
            if (value != amount) revert PaymentsWrongValue(amount, value);
            return;
        }
        if (value != 0) revert PaymentsWrongValue(0, value);
        IERC20 token = IERC20(asset);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert PaymentsTransferMismatch(amount, received);
    }

    /// @notice Sends `amount` of `asset` to `to`. A native payment the receiver refuses reverts with the
    ///         receiver's own reason (OpenZeppelin's `Address.sendValue`).
    /// @param asset address(0) for the native coin, else the ERC-20 contract.
    /// @param to The receiver.
    /// @param amount The amount to send.
    function send(address asset, address to, uint256 amount) internal {
        if (asset == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(asset).safeTransfer(to, amount);
        }
    }
}
