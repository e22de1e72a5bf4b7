// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ReentrantParty
/// @notice Test-only contract member that, on receiving the native coin, calls back into the sender with
///         `reentryCall` (e.g. another `withdraw`), to prove the callee's reentrancy protection. It forwards any
///         call its owner asks for, so it can propose, sign and withdraw like a member.
contract ReentrantParty {
    address private immutable _owner;
    bytes public reentryCall;
    bool public reentrySucceeded;
    bool public refuseNative;

    constructor() {
        _owner = msg.sender;
    }

    /// @notice Sets the call made on receipt of the native coin (empty: none), and whether to refuse it.
    function configure(bytes calldata reentryCall_, bool refuseNative_) external {
        require(msg.sender == _owner, "owner only");
        reentryCall = reentryCall_;
        refuseNative = refuseNative_;
    }

    /// @notice Calls `target` with `data` as this contract; bubbles up a revert.
    function forward(address target, bytes calldata data) external returns (bytes memory result) {
        require(msg.sender == _owner, "owner only");
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }

    receive() external payable {
        require(!refuseNative, "refusing native coin");
        if (reentryCall.length != 0) {
            (bool ok,) = msg.sender.call(reentryCall);
            reentrySucceeded = ok;
        }
    }
}
