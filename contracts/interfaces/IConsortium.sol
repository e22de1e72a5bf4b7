// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IConsortium
/// @notice The member registry, and the register of payment assets, that other coopledger contracts consult
///         before letting an account act or money be pledged in an asset.
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

    /// @notice True when new agreements and referral programs may be paid in `asset`: the native coin
    ///         (`address(0)`) always, an ERC-20 once the members approved it by vote (or at deployment) and until
    ///         they revoke it.
    /// @param asset The asset to check.
    function isApprovedAsset(address asset) external view returns (bool);
}
