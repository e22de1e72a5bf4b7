// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Vm
/// @notice The few Foundry cheatcodes the invariant campaign uses, declared here rather than taken from the
///         unofficial forge-std npm package. Foundry answers calls to `VM_ADDRESS` with them.
interface Vm {
    /// @notice Sets `block.timestamp`.
    function warp(uint256 timestamp) external;

    /// @notice Makes the next call come from `sender`.
    function prank(address sender) external;

    /// @notice Makes every call come from `sender` until `stopPrank`.
    function startPrank(address sender) external;

    /// @notice Ends `startPrank`.
    function stopPrank() external;

    /// @notice Sets the native balance of `account`.
    function deal(address account, uint256 balance) external;

    /// @notice The address of private key `privateKey`.
    function addr(uint256 privateKey) external pure returns (address);

    /// @notice An ECDSA signature of `digest` with `privateKey`.
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

/// @dev Where Foundry answers cheatcodes: address(uint160(uint256(keccak256("hevm cheat code")))).
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;
