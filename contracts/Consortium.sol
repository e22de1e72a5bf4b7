// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";

/// @title Consortium
/// @notice The member registry of one consortium of small and medium businesses. Founders are set at
///         deployment; every member may leave on its own. Other coopledger contracts ask `isActiveMember`.
contract Consortium is IConsortium {
    /// @notice A member's record.
    /// @param name Display name (free text, shown in the dashboard).
    /// @param sector Sector code, a short ASCII label right-padded with zeros (e.g. "bakery").
    /// @param region Region code, same encoding (e.g. "north").
    /// @param joinedAt Timestamp of the block that admitted the member.
    /// @param status Current lifecycle status.
    struct Member {
        string name;
        bytes32 sector;
        bytes32 region;
        uint64 joinedAt;
        MemberStatus status;
    }

    /// @notice The profile of a founder, given at deployment.
    struct Founder {
        address account;
        string name;
        bytes32 sector;
        bytes32 region;
    }

    /// @notice A consortium needs at least one founder.
    error ConsortiumNoFounders();
    /// @notice `account` is the zero address.
    error ConsortiumZeroAddress();
    /// @notice `account` is, or was, a member and cannot be admitted again.
    error ConsortiumAlreadyMember(address account);
    /// @notice `account` is not an active member, so it cannot do what it tried.
    error ConsortiumNotActiveMember(address account);
    /// @notice A member's display name must not be empty.
    error ConsortiumEmptyName(address account);

    /// @notice `account` became an active member.
    /// @param account The new member.
    /// @param sector Its sector code.
    /// @param region Its region code.
    /// @param name Its display name.
    /// @param founder True when admitted at deployment.
    event MemberAdmitted(
        address indexed account, bytes32 indexed sector, bytes32 indexed region, string name, bool founder
    );

    /// @notice `account` left the consortium on its own.
    /// @param account The member that left.
    event MemberExited(address indexed account);

    mapping(address account => Member) private _members;
    address[] private _memberList;
    uint256 private _activeCount;

    /// @notice Creates the consortium with its founders, all active from the first block.
    /// @param founders The founding members; at least one, no duplicates, no zero address.
    constructor(Founder[] memory founders) {
        if (founders.length == 0) revert ConsortiumNoFounders();
        for (uint256 i = 0; i < founders.length; ++i) {
            Founder memory f = founders[i];
            _admit(f.account, f.name, f.sector, f.region, true);
        }
    }

    /// @notice Leaves the consortium. Balances already credited elsewhere stay the caller's.
    function exit() external {
        Member storage member = _members[msg.sender];
        if (member.status != MemberStatus.Active) revert ConsortiumNotActiveMember(msg.sender);
        member.status = MemberStatus.Exited;
        _activeCount -= 1;
        emit MemberExited(msg.sender);
    }

    /// @inheritdoc IConsortium
    function isActiveMember(address account) external view returns (bool) {
        return _members[account].status == MemberStatus.Active;
    }

    /// @notice The record of `account` (status `None` if it never joined).
    /// @param account The address to look up.
    function member(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @notice How many accounts ever joined (any status).
    function memberCount() external view returns (uint256) {
        return _memberList.length;
    }

    /// @notice How many members are active now.
    function activeMemberCount() external view returns (uint256) {
        return _activeCount;
    }

    /// @notice The `index`-th account that joined, in order of admission.
    /// @param index Position in the admission order, from 0.
    function memberAt(uint256 index) external view returns (address) {
        return _memberList[index];
    }

    function _admit(address account, string memory name, bytes32 sector, bytes32 region, bool founder) internal {
        if (account == address(0)) revert ConsortiumZeroAddress();
        if (bytes(name).length == 0) revert ConsortiumEmptyName(account);
        if (_members[account].status != MemberStatus.None) revert ConsortiumAlreadyMember(account);
        _members[account] = Member({
            name: name,
            sector: sector,
            region: region,
            joinedAt: uint64(block.timestamp),
            status: MemberStatus.Active
        });
        _memberList.push(account);
        _activeCount += 1;
        emit MemberAdmitted(account, sector, region, name, founder);
    }
}
