// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";

/// @title Consortium
/// @notice The member registry of one consortium of small and medium businesses, its register of payment
///         assets, and its governance.
/// @dev Founders and the first approved assets are set at deployment. After that, members are admitted,
///      suspended and reinstated, and ERC-20 assets approved and revoked, by proposal and vote: any active member proposes, and the proposal takes effect in the transaction of the
///      approval that reaches the quorum. Voting is approval-only (there is no "no" vote: not approving is
///      voting no). Who decides:
///      - The electorate of a proposal is the members active when it was made; only they approve it (a member
///        admitted or reinstated later does not), and only while they are still active. The quorum is a share
///        of that electorate, and always more than half of it: no half can act against the other half.
///      - A proposal is bound to its subject's state when it was made: if the subject's status changed since
///        (say, suspended by another vote and reinstated by a third), the proposal is stale and can no longer
///        be approved.
///      - A proposal that has not reached its quorum by its deadline expires, and its approvals with it.
///      A member, active or suspended, may exit at any time.
///
///      Payment assets: a contract cannot tell a well-behaved ERC-20 from a rebasing one (whose balances move
///      without transfers) or one that charges a fee on transfer, and either would leave the last party or
///      referrer of an agreement or program unable to withdraw what it was credited. So the members decide:
///      new agreements and referral programs may be paid only in the native coin or in an ERC-20 the members
///      approved (`isApprovedAsset`). Revoking an asset stops new agreements and programs in it; those already
///      made run on (their parties may terminate them), and what they credited stays withdrawable.
contract Consortium is IConsortium {
    /// @notice What a proposal would do to its subject.
    enum ProposalKind {
        Admission,
        Suspension,
        Reinstatement,
        AssetApproval,
        AssetRevocation
    }

    /// @notice A member's record, as `member` returns it.
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

    /// @dev What is stored per member besides its status.
    struct Record {
        string name;
        bytes32 sector;
        bytes32 region;
        uint64 joinedAt;
    }

    /// @notice The profile of a founder, given at deployment, or of a candidate, given in its proposal.
    struct Profile {
        address account;
        string name;
        bytes32 sector;
        bytes32 region;
    }

    /// @notice A governance proposal.
    /// @param kind What it does.
    /// @param subject The account it acts on: a member, or an asset's ERC-20 contract.
    /// @param subjectChanges Status changes of its subject when it was made (see `ConsortiumProposalStale`).
    /// @param proposer The member that made it.
    /// @param deadline Last timestamp at which it can be approved.
    /// @param electorate Active members when it was made; the quorum is a share of this.
    /// @param approvals Approvals so far.
    /// @param executed True once it took effect.
    struct Proposal {
        ProposalKind kind;
        address subject;
        uint32 subjectChanges;
        address proposer;
        uint64 deadline;
        uint32 electorate;
        uint32 approvals;
        bool executed;
    }

    /// @notice A consortium needs at least one founder.
    error ConsortiumNoFounders();
    /// @notice The quorum must be more than half (5 001..10 000 basis points).
    error ConsortiumInvalidQuorum(uint256 quorumBps);
    /// @notice The voting period must be longer than zero.
    error ConsortiumInvalidVotingPeriod();
    /// @notice The account given is the zero address.
    error ConsortiumZeroAddress();
    /// @notice `account` is, or was, a member and cannot be admitted again.
    error ConsortiumAlreadyMember(address account);
    /// @notice `account` is not an active member, so it cannot do what it tried.
    error ConsortiumNotActiveMember(address account);
    /// @notice `account` is not suspended, so it cannot be reinstated.
    error ConsortiumNotSuspended(address account);
    /// @notice A member's display name must not be empty.
    error ConsortiumEmptyName(address account);
    /// @notice No proposal has id `proposalId`.
    error ConsortiumUnknownProposal(uint256 proposalId);
    /// @notice Proposal `proposalId` passed its deadline without reaching the quorum.
    error ConsortiumProposalExpired(uint256 proposalId, uint256 deadline);
    /// @notice Proposal `proposalId` already took effect.
    error ConsortiumProposalAlreadyExecuted(uint256 proposalId);
    /// @notice `voter` already approved proposal `proposalId`.
    error ConsortiumAlreadyVoted(uint256 proposalId, address voter);
    /// @notice `voter` was not an active member when proposal `proposalId` was made (or was suspended and
    ///         reinstated since), so it is not in its electorate.
    error ConsortiumNotInElectorate(uint256 proposalId, address voter);
    /// @notice The subject `subject` of proposal `proposalId` changed status since the proposal was made: the
    ///         proposal no longer says what it did; propose again.
    error ConsortiumProposalStale(uint256 proposalId, address subject);
    /// @notice `asset` is not an ERC-20 contract that can be approved (the zero address, the native coin, is
    ///         always approved; any other asset must be a contract).
    error ConsortiumInvalidAsset(address asset);
    /// @notice `asset` is already approved.
    error ConsortiumAssetAlreadyApproved(address asset);
    /// @notice `asset` is not approved, so it cannot be revoked.
    error ConsortiumAssetNotApproved(address asset);

    /// @notice `account` became an active member.
    /// @param account The new member.
    /// @param sector Its sector code.
    /// @param region Its region code.
    /// @param name Its display name.
    /// @param proposalId The admission proposal, or 0 for a founder.
    event MemberAdmitted(
        address indexed account, bytes32 indexed sector, bytes32 indexed region, string name, uint256 proposalId
    );
    /// @notice `account` was suspended by proposal `proposalId`.
    event MemberSuspended(address indexed account, uint256 indexed proposalId);
    /// @notice `account` was reinstated by proposal `proposalId`.
    event MemberReinstated(address indexed account, uint256 indexed proposalId);
    /// @notice `account` left the consortium on its own.
    event MemberExited(address indexed account);
    /// @notice `proposer` proposed to act on `subject`; votes are open until `deadline`.
    /// @param quorumVotes Approvals needed for it to take effect.
    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        address indexed subject,
        ProposalKind kind,
        uint64 deadline,
        uint32 quorumVotes
    );
    /// @notice `voter` approved proposal `proposalId`, which now has `approvals` approvals.
    event ProposalApproved(uint256 indexed proposalId, address indexed voter, uint32 approvals);
    /// @notice Proposal `proposalId` reached its quorum and took effect.
    event ProposalExecuted(uint256 indexed proposalId);
    /// @notice New agreements and referral programs may be paid in `asset` from now on.
    /// @param proposalId The approval proposal, or 0 for an asset approved at deployment.
    event AssetApproved(address indexed asset, uint256 indexed proposalId);
    /// @notice New agreements and referral programs may no longer be paid in `asset`.
    event AssetRevoked(address indexed asset, uint256 indexed proposalId);

    uint16 private constant _BPS = 10_000;

    /// @notice Share of the electorate, in basis points, whose approval a proposal needs.
    uint16 public immutable quorumBps;
    /// @notice Seconds a proposal stays open for approval.
    uint64 public immutable votingPeriod;

    mapping(address account => Record) private _records;
    /// @dev A member's status, one slot, so that `isActiveMember`, asked by every other contract, reads one
    ///      slot. `activeSince` is the number of proposals made when it last became active (admitted or
    ///      reinstated): it votes on the proposals made from then on. `changes` counts its status changes, so a
    ///      proposal can tell its subject is no longer in the state it was proposed in.
    struct State {
        MemberStatus status;
        uint32 activeSince;
        uint32 changes;
    }

    mapping(address account => State) private _states;
    /// @dev An ERC-20's standing: approved or not, and how many times that changed (for stale proposals).
    struct AssetState {
        bool approved;
        uint32 changes;
    }

    mapping(address asset => AssetState) private _assets;
    address[] private _memberList;
    uint256 private _activeCount;

    Proposal[] private _proposals;
    mapping(uint256 proposalId => Profile) private _candidates;
    mapping(uint256 proposalId => mapping(address voter => bool)) private _approved;

    /// @notice Creates the consortium with its founders, all active from the first block, and the ERC-20 assets
    ///         it accepts from the start.
    /// @dev Emits `MemberAdmitted` per founder and `AssetApproved` per asset (proposal 0).
    /// @param founders The founding members; at least one, no duplicates, no zero address, each named.
    /// @param assets ERC-20 contracts approved for payments from the start (may be empty; no duplicates).
    /// @param quorumBps_ Share of the electorate (basis points, 5 001..10 000: more than half) whose approval
    ///        passes a proposal.
    /// @param votingPeriod_ Seconds a proposal stays open.
    constructor(Profile[] memory founders, address[] memory assets, uint16 quorumBps_, uint64 votingPeriod_) {
        if (founders.length == 0) revert ConsortiumNoFounders();
        if (quorumBps_ <= _BPS / 2 || quorumBps_ > _BPS) revert ConsortiumInvalidQuorum(quorumBps_);
        if (votingPeriod_ == 0) revert ConsortiumInvalidVotingPeriod();
        quorumBps = quorumBps_;
        votingPeriod = votingPeriod_;
        // Proposal ids start at 1: id 0 marks a founder's admission.
        _proposals.push();
        for (uint256 i = 0; i < founders.length; ++i) {
            _admit(founders[i], 0);
        }
        for (uint256 i = 0; i < assets.length; ++i) {
            _checkApprovable(assets[i]);
            _setApproved(assets[i], true, 0);
        }
    }

    modifier onlyActiveMember() {
        if (_states[msg.sender].status != MemberStatus.Active) revert ConsortiumNotActiveMember(msg.sender);
        _;
    }

    /// @notice Proposes to admit `newcomer` with its profile.
    /// @dev Requirements: the caller is an active member; `newcomer` was never a member, is not the zero
    ///      address and has a name. Emits `ProposalCreated`.
    /// @param newcomer The profile of the business to admit; it must never have been a member.
    /// @return proposalId The new proposal.
    function proposeAdmission(Profile calldata newcomer) external onlyActiveMember returns (uint256 proposalId) {
        _checkAdmissible(newcomer.account, newcomer.name);
        proposalId = _createProposal(ProposalKind.Admission, newcomer.account);
        _candidates[proposalId] = newcomer;
    }

    /// @notice Proposes to suspend the active member `account`.
    /// @dev Requirements: the caller and `account` are active members. Emits `ProposalCreated`.
    /// @param account The member to suspend.
    /// @return proposalId The new proposal.
    function proposeSuspension(address account) external onlyActiveMember returns (uint256 proposalId) {
        if (_states[account].status != MemberStatus.Active) revert ConsortiumNotActiveMember(account);
        proposalId = _createProposal(ProposalKind.Suspension, account);
    }

    /// @notice Proposes to reinstate the suspended member `account`.
    /// @dev Requirements: the caller is an active member; `account` is suspended. Emits `ProposalCreated`.
    /// @param account The member to reinstate.
    /// @return proposalId The new proposal.
    function proposeReinstatement(address account) external onlyActiveMember returns (uint256 proposalId) {
        if (_states[account].status != MemberStatus.Suspended) revert ConsortiumNotSuspended(account);
        proposalId = _createProposal(ProposalKind.Reinstatement, account);
    }

    /// @notice Proposes to approve the ERC-20 `asset` for new agreements and referral programs.
    /// @dev Vote for a plain ERC-20 only: tokens that rebase, charge a fee on transfer or can be frozen by
    ///      their issuer break the promise that what is credited can be withdrawn. Requirements: the caller is
    ///      an active member; `asset` is a contract, not yet approved. Emits `ProposalCreated`.
    /// @param asset The ERC-20 contract.
    /// @return proposalId The new proposal.
    function proposeAssetApproval(address asset) external onlyActiveMember returns (uint256 proposalId) {
        _checkApprovable(asset);
        proposalId = _createProposal(ProposalKind.AssetApproval, asset);
    }

    /// @notice Proposes to revoke the approval of `asset`: no new agreement or program may be paid in it.
    /// @dev Requirements: the caller is an active member; `asset` is approved (the native coin cannot be
    ///      revoked). Emits `ProposalCreated`.
    /// @param asset The ERC-20 contract.
    /// @return proposalId The new proposal.
    function proposeAssetRevocation(address asset) external onlyActiveMember returns (uint256 proposalId) {
        if (!_assets[asset].approved) revert ConsortiumAssetNotApproved(asset);
        proposalId = _createProposal(ProposalKind.AssetRevocation, asset);
    }

    /// @notice Approves proposal `proposalId`. The approval that reaches the quorum executes it.
    /// @dev Requirements: the caller is an active member that was in the proposal's electorate (active when it
    ///      was made, and since); the proposal exists, has not taken effect, is before its deadline and not
    ///      stale (its subject's status unchanged); the caller has not approved it. Emits `ProposalApproved`,
    ///      and with the approval that reaches the quorum, `ProposalExecuted` and the subject's event
    ///      (`MemberAdmitted`, `MemberSuspended`, `MemberReinstated`, `AssetApproved` or `AssetRevoked`).
    /// @param proposalId The proposal to approve.
    function approve(uint256 proposalId) external onlyActiveMember {
        Proposal storage open = _existingProposal(proposalId);
        if (open.executed) revert ConsortiumProposalAlreadyExecuted(proposalId);
        if (block.timestamp > open.deadline) revert ConsortiumProposalExpired(proposalId, open.deadline);
        if (_states[msg.sender].activeSince > proposalId) revert ConsortiumNotInElectorate(proposalId, msg.sender);
        if (open.kind != ProposalKind.Admission && _subjectChanges(open.kind, open.subject) != open.subjectChanges) {
            revert ConsortiumProposalStale(proposalId, open.subject);
        }
        if (_approved[proposalId][msg.sender]) revert ConsortiumAlreadyVoted(proposalId, msg.sender);
        _approved[proposalId][msg.sender] = true;
        uint32 approvals = open.approvals + 1;
        open.approvals = approvals;
        emit ProposalApproved(proposalId, msg.sender, approvals);
        if (approvals >= _quorumVotes(open.electorate)) {
            open.executed = true;
            _execute(proposalId, open);
            emit ProposalExecuted(proposalId);
        }
    }

    /// @notice Leaves the consortium, for good. Balances already credited elsewhere stay the caller's.
    /// @dev Requirements: the caller is an active or a suspended member (a suspended member may leave too).
    ///      Emits `MemberExited`.
    function exit() external {
        State storage state = _states[msg.sender];
        MemberStatus status = state.status;
        if (status != MemberStatus.Active && status != MemberStatus.Suspended) {
            revert ConsortiumNotActiveMember(msg.sender);
        }
        if (status == MemberStatus.Active) _activeCount -= 1;
        _setStatus(state, MemberStatus.Exited);
        emit MemberExited(msg.sender);
    }

    /// @inheritdoc IConsortium
    function isActiveMember(address account) external view returns (bool) {
        return _states[account].status == MemberStatus.Active;
    }

    /// @inheritdoc IConsortium
    function isApprovedAsset(address asset) external view returns (bool) {
        return asset == address(0) || _assets[asset].approved;
    }

    /// @notice The record of `account` (status `None` if it never joined).
    /// @param account The address to look up.
    function member(address account) external view returns (Member memory) {
        Record storage record = _records[account];
        return Member({
            name: record.name,
            sector: record.sector,
            region: record.region,
            joinedAt: record.joinedAt,
            status: _states[account].status
        });
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

    /// @notice Proposal `proposalId`.
    /// @param proposalId The proposal to read.
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _existingProposal(proposalId);
    }

    /// @notice The candidate profile of admission proposal `proposalId` (empty for other kinds).
    /// @param proposalId The proposal to read.
    function candidate(uint256 proposalId) external view returns (Profile memory) {
        _existingProposal(proposalId);
        return _candidates[proposalId];
    }

    /// @notice Number of proposals made so far (ids run from 1 to this number).
    function proposalCount() external view returns (uint256) {
        return _proposals.length - 1;
    }

    /// @notice True when `voter` approved proposal `proposalId`.
    function hasApproved(uint256 proposalId, address voter) external view returns (bool) {
        return _approved[proposalId][voter];
    }

    function _createProposal(ProposalKind kind, address subject) private returns (uint256 proposalId) {
        uint32 electorate = uint32(_activeCount);
        uint64 deadline = uint64(block.timestamp) + votingPeriod;
        proposalId = _proposals.length;
        _proposals.push(
            Proposal({
                kind: kind,
                subject: subject,
                subjectChanges: _subjectChanges(kind, subject),
                proposer: msg.sender,
                deadline: deadline,
                electorate: electorate,
                approvals: 0,
                executed: false
            })
        );
        emit ProposalCreated(proposalId, msg.sender, subject, kind, deadline, _quorumVotes(electorate));
    }

    function _execute(uint256 proposalId, Proposal storage executed) private {
        address subject = executed.subject;
        if (executed.kind == ProposalKind.Admission) {
            _admit(_candidates[proposalId], proposalId);
        } else if (executed.kind == ProposalKind.AssetApproval) {
            _setApproved(subject, true, proposalId);
        } else if (executed.kind == ProposalKind.AssetRevocation) {
            _setApproved(subject, false, proposalId);
        } else if (executed.kind == ProposalKind.Suspension) {
            // Not stale (checked in `approve`), so the subject is still active.
            _setStatus(_states[subject], MemberStatus.Suspended);
            _activeCount -= 1;
            emit MemberSuspended(subject, proposalId);
        } else {
            State storage state = _states[subject];
            _setStatus(state, MemberStatus.Active);
            state.activeSince = uint32(_proposals.length);
            _activeCount += 1;
            emit MemberReinstated(subject, proposalId);
        }
    }

    function _admit(Profile memory profile, uint256 proposalId) private {
        _checkAdmissible(profile.account, profile.name);
        _records[profile.account] =
            Record({name: profile.name, sector: profile.sector, region: profile.region, joinedAt: uint64(block.timestamp)});
        _states[profile.account] =
            State({status: MemberStatus.Active, activeSince: uint32(_proposals.length), changes: 1});
        _memberList.push(profile.account);
        _activeCount += 1;
        emit MemberAdmitted(profile.account, profile.sector, profile.region, profile.name, proposalId);
    }

    function _checkAdmissible(address account, string memory name) private view {
        if (account == address(0)) revert ConsortiumZeroAddress();
        if (bytes(name).length == 0) revert ConsortiumEmptyName(account);
        if (_states[account].status != MemberStatus.None) revert ConsortiumAlreadyMember(account);
    }

    function _checkApprovable(address asset) private view {
        if (asset.code.length == 0) revert ConsortiumInvalidAsset(asset);
        if (_assets[asset].approved) revert ConsortiumAssetAlreadyApproved(asset);
    }

    /// @dev Not stale (checked in `approve`), so an approval finds the asset unapproved and a revocation finds
    ///      it approved.
    function _setApproved(address asset, bool approved, uint256 proposalId) private {
        AssetState storage state = _assets[asset];
        state.approved = approved;
        state.changes += 1;
        if (approved) emit AssetApproved(asset, proposalId);
        else emit AssetRevoked(asset, proposalId);
    }

    /// @dev How many times the subject of a proposal of kind `kind` changed: a member's status, or an asset's
    ///      approval.
    function _subjectChanges(ProposalKind kind, address subject) private view returns (uint32) {
        if (kind == ProposalKind.AssetApproval || kind == ProposalKind.AssetRevocation) {
            return _assets[subject].changes;
        }
        return _states[subject].changes;
    }

    function _setStatus(State storage state, MemberStatus status) private {
        state.status = status;
        state.changes += 1;
    }

    function _existingProposal(uint256 proposalId) private view returns (Proposal storage) {
        if (proposalId == 0 || proposalId >= _proposals.length) revert ConsortiumUnknownProposal(proposalId);
        return _proposals[proposalId];
    }

    /// @dev Approvals needed out of `electorate`: ceil(electorate * quorumBps / 10 000), more than half of it
    ///      since quorumBps > 5 000. The electorate counts the proposer, who is active, so it is at least one
    ///      and so is the result.
    function _quorumVotes(uint32 electorate) private view returns (uint32) {
        return uint32((uint256(electorate) * quorumBps + _BPS - 1) / _BPS);
    }
}
