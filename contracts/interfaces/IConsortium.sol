// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IConsortium
/// @notice The member registry other coopledger contracts consult before letting an account act.
interface IConsortium {
    /// @notice Lifecycle of a member: `None` for an account that never joined.
    enum MemberStatus {
        None,
        Active,
        Suspended,
        Exited
    }

    /// @notice True when `account` is a member whose status is `Active`.
    /// @param account The address to check.
    function isActiveMember(address account) external view returns (bool);
}
