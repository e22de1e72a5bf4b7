// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IRatingStanding} from "./interfaces/IRatingStanding.sol";
import {Payments} from "./libraries/Payments.sol";

/// @title Agreements
/// @notice Multi-party co-opetition agreements between consortium members, and the revenue they share.
/// @dev Lifecycle: Proposed -> Active once every party signed the first version (on chain, or by EIP-712
///      signatures anybody may submit) -> Terminated when every party consented, or Expired when the end time
///      passes. A party may propose an amendment (new terms, shares, end time) as a new version; it takes
///      effect when every party signed it, and the version in force stays until then. A newer amendment
///      replaces a pending one. The set of parties, the kind, the asset and the start time never change.
///
///      Disputes: a party that is an active member raises one while the agreement is in force (and not within
///      `DISPUTE_COOLDOWN` of the end of the last one); while disputed, deposits are accepted but held, not
///      credited. The dispute ends, and the held deposits are credited, when the raiser votes to resolve it
///      (withdrawing it), when more than half of the other parties vote to resolve it, or, once
///      `DISPUTE_WINDOW` has passed since it was raised, when anybody releases it: no party, and no minority,
///      can hold the others' revenue longer than the window. Held deposits are also credited when the parties
///      terminate the agreement (all of them consent to that).
///
///      Revenue sharing, O(1) per deposit and within one smallest unit of exact: the contract keeps what the
///      current share period (the time one version's shares are in force) credited, `credited`, and a party's
///      credit is `settled + credited * share / 10 000`, rounded down once on the running total. So however
///      many deposits are made, no party's credit is a whole smallest unit below its exact pro-rata share, and
///      nobody gains from the others' rounding. What rounding leaves over (the period's dust, fewer smallest
///      units than there are parties) is assigned to nobody yet: when new shares take effect, each party's
///      credit from the old period is settled into `settled` and the dust is carried into the new period, where
///      the new shares share it. `unassigned` tells the dust of an agreement. Parties pull with `withdraw`.
///
///      Limits, refused at the entrance: an agreement accepts at most `MAX_REVENUE` (2^112 - 1 smallest units)
///      over its life, held deposits included; a deposit past it reverts with `AgreementRevenueLimit`, so no
///      stored figure can overflow later and a credit can always be withdrawn.
contract Agreements is EIP712, IRatingStanding {
    using SafeCast for uint256;

    /// @notice What kind of co-operation an agreement records.
    enum Kind {
        JointMarketing,
        ResourcePooling,
        ReferralPartnership,
        CoDevelopment,
        SharedPlatform,
        Supply,
        Other
    }

    /// @notice Where an agreement is in its lifecycle. `Expired` is never stored: `statusOf` reports it
    ///         for an active agreement whose end time has passed.
    enum Status {
        None,
        Proposed,
        Active,
        Disputed,
        Terminated,
        Expired
    }

    /// @notice What a proposer gives to propose an agreement.
    /// @param kind The kind of co-operation.
    /// @param termsHash keccak256 of the off-chain terms document (terms never go on chain).
    /// @param uri Optional pointer to the document (may be empty).
    /// @param parties 2 to 64 active members, without duplicates, the proposer among them.
    /// @param sharesBps Each party's share of revenue in basis points, each > 0, summing to 10 000.
    /// @param asset The payment asset: address(0) for the native coin, else an ERC-20 the consortium approved.
    /// @param startTime First second at which deposits are accepted.
    /// @param endTime First second at which the agreement has expired.
    struct Proposal {
        Kind kind;
        bytes32 termsHash;
        string uri;
        address[] parties;
        uint16[] sharesBps;
        address asset;
        uint64 startTime;
        uint64 endTime;
    }

    /// @notice What one version of an agreement says.
    /// @param termsHash Digest of the terms document of this version.
    /// @param uri Pointer to that document.
    /// @param sharesBps Shares in the order of `partiesOf`.
    /// @param endTime End time under this version.
    /// @param replaced True once a newer amendment replaced this version while it awaited signatures: it never
    ///        took effect.
    /// @param contentHash The digest parties sign (see `contentHash`).
    struct Version {
        bytes32 termsHash;
        string uri;
        uint16[] sharesBps;
        uint64 endTime;
        bool replaced;
        bytes32 contentHash;
    }

    /// @notice A summary of an agreement, for readers.
    struct Summary {
        Kind kind;
        Status status;
        address asset;
        address lead;
        uint64 startTime;
        uint64 endTime;
        uint32 currentVersion;
        uint32 pendingVersion;
        uint256 partyCount;
        uint256 held;
        uint256 totalCredited;
    }

    /// @dev Packed into one slot: everything `deposit` needs to accept money.
    struct Core {
        address asset;
        Status status;
        Kind kind;
        uint40 startTime;
        uint40 endTime;
    }

    /// @dev Packed into one slot: everything `deposit` reads and writes. `credited` is what the current share
    ///      period credited (its dust included); `acceptedPlusOne` is everything the agreement accepted over its
    ///      life (credited or held) plus one from activation on, so that the slot is never zero once deposits
    ///      are possible and the first deposit pays for changing a slot (5 000 gas), not creating one (20 000).
    struct Ledger {
        uint128 credited;
        uint128 acceptedPlusOne;
    }

    /// @dev Packed into one slot: everything `withdraw` needs about the caller.
    struct Party {
        uint16 shareBps;
        uint8 index;
        bool isLead;
        uint112 settled;
        uint112 withdrawn;
    }

    /// @dev The dispute in progress, or the last one: who raised it (party index), when, and when it ended;
    ///      and when the termination consents now counted began (see `CONSENT_WINDOW`).
    struct Dispute {
        uint8 raiser;
        uint40 raisedAt;
        uint40 endedAt;
        uint40 consentsSince;
    }

    /// @dev Bookkeeping of signatures, consents and disputes, one slot.
    struct Governance {
        uint32 currentVersion;
        uint32 pendingVersion;
        uint64 signedMask;
        uint64 terminationMask;
        uint64 resolutionMask;
    }

    /// @notice The most parties an agreement may have (bitmaps of parties are 64 bits wide).
    uint256 public constant MAX_PARTIES = 64;
    /// @notice How long a dispute may hold deposits: after this, anybody may release them (`releaseDispute`).
    uint256 public constant DISPUTE_WINDOW = 30 days;
    /// @notice How long after a dispute ended before the next may be raised.
    uint256 public constant DISPUTE_COOLDOWN = 7 days;
    /// @notice How long termination consents count: consents older than this, counted from the first of them,
    ///         lapse, and the next consent starts a new round.
    uint256 public constant CONSENT_WINDOW = 30 days;
    /// @notice The most an agreement accepts over its life, in the asset's smallest units: every stored
    ///         figure (a party's credit, what it withdrew) fits, so a credit can always be withdrawn.
    uint256 public constant MAX_REVENUE = type(uint112).max;
    uint256 private constant _BPS = 10_000;
    /// @notice EIP-712 type of a party's approval of one version of one agreement.
    bytes32 public constant APPROVAL_TYPEHASH =
        keccak256("AgreementApproval(uint256 agreementId,uint32 version,bytes32 contentHash)");

    /// @notice The member registry consulted for proposing and signing.
    IConsortium public immutable consortium;

    uint256 private _agreementCount;
    mapping(uint256 id => Core) private _cores;
    mapping(uint256 id => Ledger) private _ledgers;
    mapping(uint256 id => Governance) private _governance;
    mapping(uint256 id => Dispute) private _disputes;
    mapping(uint256 id => uint256) private _held;
    mapping(uint256 id => address[]) private _parties;
    mapping(uint256 id => mapping(address account => Party)) private _partyOf;
    mapping(uint256 id => mapping(uint32 version => Version)) private _versions;

    /// @notice `account` must be an active consortium member to do this.
    error AgreementNotActiveMember(address account);
    /// @notice No agreement has id `id`.
    error AgreementUnknown(uint256 id);
    /// @notice `account` is not a party to agreement `id`.
    error AgreementNotParty(uint256 id, address account);
    /// @notice An agreement has 2 to 64 parties; `count` were given.
    error AgreementInvalidPartyCount(uint256 count);
    /// @notice `parties` and `shares` must be as long as each other (or as the party list, in an amendment).
    error AgreementLengthMismatch(uint256 parties, uint256 shares);
    /// @notice `account` is listed twice.
    error AgreementDuplicateParty(address account);
    /// @notice The proposer `account` must be one of the parties.
    error AgreementProposerNotParty(address account);
    /// @notice Every party's share must be above zero; `account`'s is not.
    error AgreementZeroShare(address account);
    /// @notice Shares must sum to 10 000 basis points; they sum to `sum`.
    error AgreementSharesNotFull(uint256 sum);
    /// @notice The period [`startTime`, `endTime`) is empty or already over.
    error AgreementInvalidPeriod(uint256 startTime, uint256 endTime);
    /// @notice `asset` is not approved by the consortium for payments (the native coin, address(0), always is):
    ///         propose its approval to the members first (`Consortium.proposeAssetApproval`).
    error AgreementAssetNotApproved(address asset);
    /// @notice Agreement `id` is `status`, which does not allow this.
    error AgreementWrongStatus(uint256 id, Status status);
    /// @notice Version `version` of agreement `id` is not the one awaiting signatures.
    error AgreementVersionNotPending(uint256 id, uint32 version);
    /// @notice `account` already signed version `version` of agreement `id`.
    error AgreementAlreadySigned(uint256 id, uint32 version, address account);
    /// @notice Version `version` of agreement `id` still needs the signature of a party that is an active member,
    ///         or changes the share of a party that left.
    error AgreementAwaitingSignatures(uint256 id, uint32 version);
    /// @notice `account` already voted or consented for this on agreement `id`.
    error AgreementAlreadyVoted(uint256 id, address account);
    /// @notice Agreement `id` accepts deposits only from `startTime`.
    error AgreementNotStarted(uint256 id, uint256 startTime);
    /// @notice Agreement `id` ended at `endTime`.
    error AgreementExpired(uint256 id, uint256 endTime);
    /// @notice A deposit must be of a positive amount.
    error AgreementZeroAmount();
    /// @notice Agreement `id` accepted `accepted` so far; `amount` more would pass the most it accepts over its
    ///         life, `limit`.
    error AgreementRevenueLimit(uint256 id, uint256 accepted, uint256 amount, uint256 limit);
    /// @notice Agreement `id` is paid in `expected`, not `given`.
    error AgreementWrongAsset(uint256 id, address expected, address given);
    /// @notice `account` has nothing to withdraw from agreement `id`.
    error AgreementNothingToWithdraw(uint256 id, address account);
    /// @notice The last dispute on agreement `id` ended recently: the next may be raised from `availableAt`.
    error AgreementDisputeCooldown(uint256 id, uint256 availableAt);
    /// @notice The dispute on agreement `id` may be released by anybody from `releasableAt`, not before.
    error AgreementDisputeWindowOpen(uint256 id, uint256 releasableAt);

    /// @notice `proposer` proposed agreement `id` between `parties`; its terms come in `VersionProposed` (version 1).
    event AgreementProposed(
        uint256 indexed id,
        address indexed proposer,
        address indexed asset,
        Kind kind,
        address[] parties,
        uint64 startTime
    );
    /// @notice `party` proposed version `version` of agreement `id` (1: the first terms; later: an amendment,
    ///         replacing any amendment still pending). Shares are in the order of the agreement's parties.
    event VersionProposed(
        uint256 indexed id,
        uint32 indexed version,
        address indexed party,
        uint16[] sharesBps,
        bytes32 termsHash,
        string uri,
        uint64 endTime
    );
    /// @notice `party` signed version `version` of agreement `id`.
    event AgreementSigned(uint256 indexed id, uint32 indexed version, address indexed party);
    /// @notice Version `version` of agreement `id` is in force (version 1: the agreement became active).
    event AgreementVersionActivated(uint256 indexed id, uint32 indexed version);
    /// @notice `party` raised a dispute on agreement `id`; deposits are held until it is resolved.
    event DisputeRaised(uint256 indexed id, address indexed party, bytes32 reasonHash);
    /// @notice `party` voted to resolve the dispute on agreement `id`.
    event DisputeResolutionVoted(uint256 indexed id, address indexed party);
    /// @notice The raiser, or a majority of the other parties, resolved the dispute on agreement `id`;
    ///         `releasedAmount` of held deposits was credited.
    event DisputeResolved(uint256 indexed id, uint256 releasedAmount);
    /// @notice `by` ended the dispute on agreement `id` once its window had passed; `releasedAmount` of held
    ///         deposits was credited.
    event DisputeReleased(uint256 indexed id, address indexed by, uint256 releasedAmount);
    /// @notice `party` consented to terminate agreement `id`.
    event TerminationConsented(uint256 indexed id, address indexed party);
    /// @notice Every party consented: agreement `id` is terminated; `releasedAmount` of held deposits was credited.
    event AgreementTerminated(uint256 indexed id, uint256 releasedAmount);
    /// @notice `contributor` deposited `amount` (in the agreement's asset) into agreement `id`; `held` if it
    ///         awaits the end of a dispute.
    /// @dev Credited (unless held) as `amount / 10 000 * shareBps` per party, plus `amount % 10 000` to the lead.
    event RevenueDeposited(uint256 indexed id, address indexed contributor, uint256 amount, bool held);
    /// @notice `party` withdrew `amount` (in the agreement's asset) credited by agreement `id`.
    event Withdrawn(uint256 indexed id, address indexed party, uint256 amount);

    /// @param consortium_ The member registry.
    constructor(IConsortium consortium_) EIP712("coopledger Agreements", "1") {
        consortium = consortium_;
    }

    modifier onlyActiveMember() {
        _requireActiveMember(msg.sender);
        _;
    }

    // ------------------------------------------------------------------------------------------ proposing

    /// @notice Proposes an agreement; the proposer signs version 1 by proposing and becomes the lead party.
    /// @dev Requirements: the caller is an active member and one of the parties; 2 to `MAX_PARTIES` parties,
    ///      each an active member, without duplicates; one share per party, each > 0, summing to 10 000; the
    ///      asset is the native coin or an ERC-20 the consortium approved (`IConsortium.isApprovedAsset`); the
    ///      end time is after the start time and in the future.
    ///      Emits `AgreementProposed`, `VersionProposed` and `AgreementSigned` (the proposer's signature).
    /// @param proposal The agreement (see `Proposal`).
    /// @return id The new agreement's id (ids start at 1).
    function propose(Proposal calldata proposal) external onlyActiveMember returns (uint256 id) {
        uint256 count = proposal.parties.length;
        if (count < 2 || count > MAX_PARTIES) revert AgreementInvalidPartyCount(count);
        if (proposal.sharesBps.length != count) revert AgreementLengthMismatch(count, proposal.sharesBps.length);
        if (!consortium.isApprovedAsset(proposal.asset)) revert AgreementAssetNotApproved(proposal.asset);
        _checkPeriod(proposal.startTime, proposal.endTime);

        id = ++_agreementCount;
        bool proposerListed = false;
        uint256 sum = 0;
        for (uint256 i = 0; i < count; ++i) {
            address account = proposal.parties[i];
            uint16 share = proposal.sharesBps[i];
            _requireActiveMember(account);
            if (share == 0) revert AgreementZeroShare(account);
            if (_partyOf[id][account].shareBps != 0) revert AgreementDuplicateParty(account);
            bool isLead = account == msg.sender;
            proposerListed = proposerListed || isLead;
            sum += share;
            _partyOf[id][account] =
                Party({shareBps: share, index: uint8(i), isLead: isLead, settled: 0, withdrawn: 0});
        }
        if (!proposerListed) revert AgreementProposerNotParty(msg.sender);
        if (sum != _BPS) revert AgreementSharesNotFull(sum);

        _parties[id] = proposal.parties;
        _cores[id] = Core({
            asset: proposal.asset,
            status: Status.Proposed,
            kind: proposal.kind,
            startTime: uint256(proposal.startTime).toUint40(),
            endTime: uint256(proposal.endTime).toUint40()
        });
        emit AgreementProposed(id, msg.sender, proposal.asset, proposal.kind, proposal.parties, proposal.startTime);
        _proposeVersion(id, 1, proposal.termsHash, proposal.uri, proposal.sharesBps, proposal.endTime);
    }

    /// @notice Proposes new terms, shares and end time for an active agreement, as its next version. The
    ///         proposing party signs it by proposing. It replaces an amendment still awaiting signatures.
    /// @dev Requirements: the caller is an active member and a party; the agreement is in force (active or
    ///      disputed, not past its end time); one share per party, each > 0, summing to 10 000; the end time
    ///      is in the future. Emits `VersionProposed` and `AgreementSigned`, and `AgreementVersionActivated`
    ///      if no other party still active needs to sign it.
    /// @param id The agreement.
    /// @param termsHash Digest of the amended terms document.
    /// @param uri Pointer to that document (may be empty).
    /// @param sharesBps New shares, in the order of `partiesOf(id)`; each > 0, summing to 10 000.
    /// @param endTime New end time; in the future and after the start time.
    /// @return version The new version number.
    function proposeAmendment(
        uint256 id,
        bytes32 termsHash,
        string calldata uri,
        uint16[] calldata sharesBps,
        uint64 endTime
    ) external onlyActiveMember returns (uint32 version) {
        Core storage core = _inForce(id);
        _requireParty(id, msg.sender);
        address[] storage parties = _parties[id];
        if (sharesBps.length != parties.length) revert AgreementLengthMismatch(parties.length, sharesBps.length);
        uint256 sum = 0;
        for (uint256 i = 0; i < sharesBps.length; ++i) {
            if (sharesBps[i] == 0) revert AgreementZeroShare(parties[i]);
            sum += sharesBps[i];
        }
        if (sum != _BPS) revert AgreementSharesNotFull(sum);
        _checkPeriod(core.startTime, endTime);

        Governance storage governance = _governance[id];
        uint32 latest = governance.pendingVersion > governance.currentVersion
            ? governance.pendingVersion
            : governance.currentVersion;
        version = latest + 1;
        _proposeVersion(id, version, termsHash, uri, sharesBps, endTime);
    }

    // ------------------------------------------------------------------------------------------- signing

    /// @notice Signs version `version` of agreement `id` as the calling party.
    /// @dev Requirements: the caller is an active member and a party that has not signed this version; the
    ///      version is the one awaiting signatures and the agreement is not past its end time. Emits
    ///      `AgreementSigned`, and `AgreementVersionActivated` with the signature that completes it.
    /// @param id The agreement.
    /// @param version The version awaiting signatures (1 for a new agreement).
    function sign(uint256 id, uint32 version) external onlyActiveMember {
        _requireParty(id, msg.sender);
        _requireSignable(id, version);
        _sign(id, version, msg.sender);
    }

    /// @notice Submits parties' EIP-712 signatures of version `version` of agreement `id`. Anybody may submit.
    /// @dev Each signature is over `AgreementApproval(agreementId, version, contentHash)` in this contract's
    ///      domain (name "coopledger Agreements", version "1", this chain id, this address); see `approvalDigest`.
    ///      Requirements: the version is awaiting signatures and the agreement not past its end time; each
    ///      signer is a party, an active member, and has not signed this version. Emits `AgreementSigned` per
    ///      signature, and `AgreementVersionActivated` with the one that completes it.
    /// @param id The agreement.
    /// @param version The version awaiting signatures.
    /// @param signatures 65-byte ECDSA signatures, one per signing party.
    function signWithSignatures(uint256 id, uint32 version, bytes[] calldata signatures) external {
        _requireSignable(id, version);
        bytes32 digest = approvalDigest(id, version);
        for (uint256 i = 0; i < signatures.length; ++i) {
            address signer = ECDSA.recover(digest, signatures[i]);
            _requireParty(id, signer);
            _requireActiveMember(signer);
            _sign(id, version, signer);
        }
    }

    // ------------------------------------------------------------------------------ disputes and the end

    /// @notice Raises a dispute on an agreement in force: deposits are held, not credited, until it ends.
    /// @dev Requirements: the caller is a party and an active member; the agreement is active, started and not
    ///      past its end time; the last dispute ended at least `DISPUTE_COOLDOWN` ago.
    ///      Emits `DisputeRaised`.
    /// @param id The agreement.
    /// @param reasonHash Digest of the off-chain statement of the dispute.
    function raiseDispute(uint256 id, bytes32 reasonHash) external {
        Party storage party = _requireParty(id, msg.sender);
        _requireActiveMember(msg.sender);
        Core storage core = _cores[id];
        if (core.status != Status.Active) revert AgreementWrongStatus(id, statusOf(id));
        if (block.timestamp < core.startTime) revert AgreementNotStarted(id, core.startTime);
        if (block.timestamp >= core.endTime) revert AgreementExpired(id, core.endTime);
        Dispute storage dispute = _disputes[id];
        uint256 endedAt = dispute.endedAt;
        if (endedAt != 0 && block.timestamp < endedAt + DISPUTE_COOLDOWN) {
            revert AgreementDisputeCooldown(id, endedAt + DISPUTE_COOLDOWN);
        }
        core.status = Status.Disputed;
        _governance[id].resolutionMask = 0;
        dispute.raiser = party.index;
        dispute.raisedAt = uint40(block.timestamp);
        emit DisputeRaised(id, msg.sender, reasonHash);
    }

    /// @notice Votes to resolve the dispute on agreement `id`. The raiser's vote resolves it (it withdraws the
    ///         dispute); otherwise it is resolved when more than half of the other parties voted. The agreement
    ///         is then active again and the deposits held meanwhile are credited.
    /// @dev Requirements: the caller is a party that has not voted on this dispute; the agreement is disputed.
    ///      Emits `DisputeResolutionVoted`, and `DisputeResolved` when the vote resolves it.
    /// @param id The agreement.
    function voteToResolve(uint256 id) external {
        Party storage party = _requireParty(id, msg.sender);
        Core storage core = _cores[id];
        if (core.status != Status.Disputed) revert AgreementWrongStatus(id, statusOf(id));
        Governance storage governance = _governance[id];
        uint64 mask = _addVote(id, governance.resolutionMask, party.index);
        governance.resolutionMask = mask;
        emit DisputeResolutionVoted(id, msg.sender);
        Dispute storage dispute = _disputes[id];
        uint64 raiserBit = uint64(1) << dispute.raiser;
        if (mask & raiserBit != 0 || _popCount(mask & ~raiserBit) * 2 > _parties[id].length - 1) {
            core.status = Status.Active;
            dispute.endedAt = uint40(block.timestamp);
            emit DisputeResolved(id, _releaseHeld(id));
        }
    }

    /// @notice Ends the dispute on agreement `id` once `DISPUTE_WINDOW` has passed since it was raised, exactly
    ///         as a resolution does: the agreement is active again and the held deposits are credited.
    ///         Anybody may call it.
    /// @dev Requirements: the agreement is disputed, and its dispute was raised at least `DISPUTE_WINDOW` ago.
    ///      Emits `DisputeReleased`.
    /// @param id The agreement.
    function releaseDispute(uint256 id) external {
        _existing(id);
        Core storage core = _cores[id];
        if (core.status != Status.Disputed) revert AgreementWrongStatus(id, statusOf(id));
        Dispute storage dispute = _disputes[id];
        uint256 releasableAt = uint256(dispute.raisedAt) + DISPUTE_WINDOW;
        if (block.timestamp < releasableAt) revert AgreementDisputeWindowOpen(id, releasableAt);
        core.status = Status.Active;
        dispute.endedAt = uint40(block.timestamp);
        emit DisputeReleased(id, msg.sender, _releaseHeld(id));
    }

    /// @notice Consents to terminate agreement `id` (proposed, active or disputed). When every party that is
    ///         still an active member consented within `CONSENT_WINDOW`, it is terminated and any held deposits
    ///         are credited. Credited balances stay withdrawable.
    /// @dev Requirements: the caller is a party; the agreement is not terminated; the caller has not consented
    ///      in the current round (a round lapses `CONSENT_WINDOW` after its first consent). A party that left
    ///      the consortium (exited or suspended) is not waited for. Emits `TerminationConsented`, and
    ///      `AgreementTerminated` with the consent that completes it.
    /// @param id The agreement.
    function consentToTerminate(uint256 id) external {
        Party storage party = _requireParty(id, msg.sender);
        Core storage core = _cores[id];
        Status status = core.status;
        if (status == Status.Terminated) revert AgreementWrongStatus(id, status);
        Governance storage governance = _governance[id];
        Dispute storage round = _disputes[id];
        uint64 consents = governance.terminationMask;
        if (consents != 0 && block.timestamp > uint256(round.consentsSince) + CONSENT_WINDOW) consents = 0;
        if (consents == 0) round.consentsSince = uint40(block.timestamp);
        uint64 mask = _addVote(id, consents, party.index);
        governance.terminationMask = mask;
        emit TerminationConsented(id, msg.sender);
        if (_everyActivePartyIn(id, mask, 0)) {
            core.status = Status.Terminated;
            governance.pendingVersion = 0;
            emit AgreementTerminated(id, _releaseHeld(id));
        }
    }

    /// @notice Puts the pending amendment of agreement `id` in force once every party that is still an active
    ///         member signed it, when the parties that did not sign have all left the consortium (exited or
    ///         suspended) after signing was asked of them, and the amendment leaves each of their shares as it
    ///         is. Anybody may call it: it is how an agreement moves on when a party leaves.
    /// @dev Requirements: an amendment is pending and still signable; each unsigned party is no longer an
    ///      active member and keeps its share. Emits `AgreementVersionActivated`.
    /// @param id The agreement.
    function completeAmendment(uint256 id) external {
        Governance storage governance = _governance[id];
        uint32 version = governance.pendingVersion;
        if (version < 2) revert AgreementVersionNotPending(id, version);
        _requireSignable(id, version);
        if (!_everyActivePartyIn(id, governance.signedMask, version)) revert AgreementAwaitingSignatures(id, version);
        _activate(id, version, governance);
    }

    // ------------------------------------------------------------------------------------------- money

    /// @notice Deposits revenue into an agreement that is in force. Anybody may deposit; the depositor is
    ///         recorded as the contributor. Credited to the parties at once, or held while disputed.
    /// @dev Requirements: `amount` > 0; the agreement is active or disputed, started and not past its end time;
    ///      `asset` is the agreement's; the agreement's lifetime total stays within `MAX_REVENUE`; for the native
    ///      coin, `amount` is sent as value, for an ERC-20, approved and delivered in full (a token that
    ///      delivers less is refused). Emits `RevenueDeposited`.
    ///      Checks, effects, then the interaction: the deposit is booked before the token is asked for it, and
    ///      `Payments.collect` then checks that exactly `amount` arrived, so a token that calls back into this
    ///      contract meanwhile (to deposit or withdraw) changes what arrives and the whole deposit reverts. No
    ///      ReentrancyGuard, on purpose: its slot costs ~2 300 gas on every deposit and would guard nothing
    ///      this order and that check do not (a test reenters from a token's hook).
    /// @param id The agreement.
    /// @param asset The asset the depositor means to pay: must be the agreement's (address(0) = native coin).
    /// @param amount The amount, in the asset's smallest unit; for the native coin, also the value sent.
    function deposit(uint256 id, address asset, uint256 amount) external payable {
        if (amount == 0) revert AgreementZeroAmount();
        Core memory core = _cores[id];
        if (core.status != Status.Active && core.status != Status.Disputed) {
            revert AgreementWrongStatus(id, statusOf(id));
        }
        if (block.timestamp < core.startTime) revert AgreementNotStarted(id, core.startTime);
        if (block.timestamp >= core.endTime) revert AgreementExpired(id, core.endTime);
        if (asset != core.asset) revert AgreementWrongAsset(id, core.asset, asset);
        Ledger memory ledger = _ledgers[id];
        uint256 accepted = uint256(ledger.acceptedPlusOne) - 1;
        if (amount > MAX_REVENUE - accepted) revert AgreementRevenueLimit(id, accepted, amount, MAX_REVENUE);

        // Both figures stay below 2^112 (checked above), so the casts hold.
        bool held = core.status == Status.Disputed;
        if (held) {
            _held[id] += amount;
        } else {
            ledger.credited = uint128(ledger.credited + amount);
        }
        ledger.acceptedPlusOne = uint128(accepted + amount + 1);
        _ledgers[id] = ledger;
        emit RevenueDeposited(id, msg.sender, amount, held);

        Payments.collect(asset, amount, msg.value);
    }

    /// @notice Withdraws everything agreement `id` credited to the caller and it has not withdrawn yet.
    ///         Works in every status, forever: credited money is the party's.
    /// @dev Requirements: the caller is a party with something to withdraw. Emits `Withdrawn`.
    ///      Reentrancy-safe by checks-effects-interactions: the party's withdrawn total is raised to its whole
    ///      credit before the transfer, so a reentrant call finds nothing left to withdraw (a test proves it
    ///      with a party that reenters). No ReentrancyGuard here on purpose: its cold storage slot costs
    ///      ~2 300 gas on the call that every party makes most, and it would guard nothing this order does not.
    /// @param id The agreement.
    /// @return amount What was sent to the caller.
    function withdraw(uint256 id) external returns (uint256 amount) {
        Party storage party = _partyOf[id][msg.sender];
        Party memory current = party;
        if (current.shareBps == 0) revert AgreementNotParty(id, msg.sender);
        uint256 credit = uint256(current.settled) + uint256(_ledgers[id].credited) * current.shareBps / _BPS;
        amount = credit - current.withdrawn;
        if (amount == 0) revert AgreementNothingToWithdraw(id, msg.sender);
        // A credit is at most what the agreement accepted, below 2^112 (`MAX_REVENUE`): the cast holds.
        party.withdrawn = uint112(credit);
        emit Withdrawn(id, msg.sender, amount);

        Payments.send(_cores[id].asset, msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------- views

    /// @notice Number of agreements proposed so far (ids run from 1 to this number).
    function agreementCount() external view returns (uint256) {
        return _agreementCount;
    }

    /// @notice A summary of agreement `id`.
    /// @param id The agreement.
    function agreement(uint256 id) external view returns (Summary memory summary) {
        Core memory core = _existing(id);
        Governance memory governance = _governance[id];
        Ledger storage ledger = _ledgers[id];
        address[] storage parties = _parties[id];
        address lead = address(0);
        for (uint256 i = 0; i < parties.length && lead == address(0); ++i) {
            if (_partyOf[id][parties[i]].isLead) lead = parties[i];
        }
        summary = Summary({
            kind: core.kind,
            status: statusOf(id),
            asset: core.asset,
            lead: lead,
            startTime: core.startTime,
            endTime: core.endTime,
            currentVersion: governance.currentVersion,
            pendingVersion: governance.pendingVersion,
            partyCount: parties.length,
            held: _held[id],
            totalCredited: _accepted(ledger) - _held[id]
        });
    }

    /// @notice The status of agreement `id`: `Expired` for an agreement past its end time that was not
    ///         terminated, whether it was active, disputed (a dispute may still be resolved or released, which
    ///         credits what it holds) or still a proposal (which can no longer be signed).
    /// @param id The agreement.
    function statusOf(uint256 id) public view returns (Status) {
        Core memory core = _cores[id];
        Status stored = core.status;
        if (stored != Status.None && stored != Status.Terminated && block.timestamp >= core.endTime) {
            return Status.Expired;
        }
        return stored;
    }

    /// @notice The parties of agreement `id`, in the order shares are given.
    /// @param id The agreement.
    function partiesOf(uint256 id) external view returns (address[] memory) {
        _existing(id);
        return _parties[id];
    }

    /// @notice The share (basis points) of `account` in agreement `id` under the version in force, or, before
    ///         activation, under version 1. Zero for a non-party.
    function shareOf(uint256 id, address account) external view returns (uint256) {
        return _partyOf[id][account].shareBps;
    }

    /// @notice Everything agreement `id` ever credited to `account`.
    function creditedTo(uint256 id, address account) public view returns (uint256) {
        return _creditOf(_ledgers[id], _partyOf[id][account]);
    }

    /// @notice Everything `account` withdrew from agreement `id`.
    function withdrawnBy(uint256 id, address account) external view returns (uint256) {
        return _partyOf[id][account].withdrawn;
    }

    /// @notice What agreement `id` credited but assigned to no party yet: the current share period's rounding
    ///         dust, fewer smallest units than there are parties, carried into the next period when new shares
    ///         take effect. The contract holds, per agreement, held + credited to parties - withdrawn + this.
    function unassigned(uint256 id) external view returns (uint256 dust) {
        _existing(id);
        Ledger storage ledger = _ledgers[id];
        uint256 credited = ledger.credited;
        dust = credited;
        address[] storage parties = _parties[id];
        for (uint256 i = 0; i < parties.length; ++i) {
            dust -= credited * _partyOf[id][parties[i]].shareBps / _BPS;
        }
    }

    /// @notice What `account` can withdraw from agreement `id` now.
    function withdrawable(uint256 id, address account) external view returns (uint256) {
        return creditedTo(id, account) - _partyOf[id][account].withdrawn;
    }

    /// @notice Version `version` of agreement `id`.
    function versionOf(uint256 id, uint32 version) external view returns (Version memory) {
        _existing(id);
        return _versions[id][version];
    }

    /// @notice True when `account` signed version `version` of agreement `id` and that signature counts: for
    ///         the version awaiting signatures, whether it signed yet; for an earlier version, whether that
    ///         version took effect (every party signed it). False for a version replaced before it took
    ///         effect, for one that lapsed with a termination, and for a non-party.
    /// @param id The agreement.
    /// @param version The version.
    /// @param account The account asked about.
    function hasSigned(uint256 id, uint32 version, address account) external view returns (bool) {
        Governance memory governance = _governance[id];
        Party memory party = _partyOf[id][account];
        if (party.shareBps == 0 || version == 0) return false;
        if (version == governance.pendingVersion) return (governance.signedMask >> party.index) & 1 == 1;
        return version <= governance.currentVersion && !_versions[id][version].replaced;
    }

    /// @inheritdoc IRatingStanding
    function ratingStanding(uint256 id, uint32 version, address rater, address ratee)
        external
        view
        returns (uint64 startTime, bool versionTookEffect, bool raterIsParty, bool rateeIsParty)
    {
        startTime = _cores[id].startTime;
        versionTookEffect =
            version != 0 && version <= _governance[id].currentVersion && !_versions[id][version].replaced;
        raterIsParty = _partyOf[id][rater].shareBps != 0;
        rateeIsParty = _partyOf[id][ratee].shareBps != 0;
    }

    /// @notice The digest of one version's content that parties approve:
    ///         keccak256(abi.encode(kind, asset, parties, startTime, termsHash, keccak256(uri), sharesBps, endTime)).
    /// @param id The agreement.
    /// @param version The version.
    function contentHash(uint256 id, uint32 version) public view returns (bytes32) {
        _existing(id);
        return _versions[id][version].contentHash;
    }

    /// @notice The EIP-712 digest a party signs to approve version `version` of agreement `id`.
    /// @param id The agreement.
    /// @param version The version.
    function approvalDigest(uint256 id, uint32 version) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(APPROVAL_TYPEHASH, id, version, contentHash(id, version))));
    }

    // ---------------------------------------------------------------------------------------- internals

    /// @dev Stores version `version`, makes it the one awaiting signatures, and signs it for the proposer.
    function _proposeVersion(
        uint256 id,
        uint32 version,
        bytes32 termsHash,
        string calldata uri,
        uint16[] calldata sharesBps,
        uint64 endTime
    ) private {
        Core storage core = _cores[id];
        bytes32 digest = keccak256(
            abi.encode(
                core.kind,
                core.asset,
                _parties[id],
                core.startTime,
                termsHash,
                keccak256(bytes(uri)),
                sharesBps,
                endTime
            )
        );
        Governance storage governance = _governance[id];
        if (governance.pendingVersion != 0) _versions[id][governance.pendingVersion].replaced = true;
        _versions[id][version] = Version({
            termsHash: termsHash,
            uri: uri,
            sharesBps: sharesBps,
            endTime: endTime,
            replaced: false,
            contentHash: digest
        });
        governance.pendingVersion = version;
        governance.signedMask = 0;
        emit VersionProposed(id, version, msg.sender, sharesBps, termsHash, uri, endTime);
        _sign(id, version, msg.sender);
    }

    function _sign(uint256 id, uint32 version, address account) private {
        Governance storage governance = _governance[id];
        uint8 index = _partyOf[id][account].index;
        uint64 mask = governance.signedMask;
        if ((mask >> index) & 1 == 1) revert AgreementAlreadySigned(id, version, account);
        mask |= uint64(1) << index;
        governance.signedMask = mask;
        emit AgreementSigned(id, version, account);
        // Version 1 needs every party; an amendment only those still active (and keeps the others' shares).
        if (_popCount(mask) == _parties[id].length || (version > 1 && _everyActivePartyIn(id, mask, version))) {
            _activate(id, version, governance);
        }
    }

    /// @dev Whether every party outside `mask` has left the consortium (is no longer an active member) and,
    ///      for an amendment (`version` > 1), keeps its share in it. Stops at the first party still needed;
    ///      bounded by MAX_PARTIES.
    function _everyActivePartyIn(uint256 id, uint64 mask, uint32 version) private view returns (bool) {
        address[] storage parties = _parties[id];
        for (uint256 i = 0; i < parties.length; ++i) {
            if ((mask >> i) & 1 == 1) continue;
            if (consortium.isActiveMember(parties[i])) return false;
            if (version > 1 && _versions[id][version].sharesBps[i] != _partyOf[id][parties[i]].shareBps) {
                return false;
            }
        }
        return true;
    }

    function _activate(uint256 id, uint32 version, Governance storage governance) private {
        governance.currentVersion = version;
        governance.pendingVersion = 0;
        governance.signedMask = 0;
        Core storage core = _cores[id];
        if (version == 1) {
            core.status = Status.Active;
            _ledgers[id].acceptedPlusOne = 1;
        } else {
            Version storage terms = _versions[id][version];
            core.endTime = uint256(terms.endTime).toUint40();
            _applyShares(id, terms.sharesBps);
        }
        emit AgreementVersionActivated(id, version);
    }

    /// @dev Settles what the old shares earned into each party's balance, then starts a new share period that
    ///      opens with the old period's dust (carried forward, shared by the new shares). Bounded by MAX_PARTIES.
    function _applyShares(uint256 id, uint16[] storage sharesBps) private {
        Ledger storage ledger = _ledgers[id];
        uint256 credited = ledger.credited;
        uint256 assigned = 0;
        address[] storage parties = _parties[id];
        for (uint256 i = 0; i < parties.length; ++i) {
            Party storage party = _partyOf[id][parties[i]];
            uint256 earned = credited * party.shareBps / _BPS;
            assigned += earned;
            // settled + earned is a credit, below 2^112 (`MAX_REVENUE`): the cast holds.
            party.settled = uint112(uint256(party.settled) + earned);
            party.shareBps = sharesBps[i];
        }
        ledger.credited = uint128(credited - assigned);
    }

    function _releaseHeld(uint256 id) private returns (uint256 released) {
        released = _held[id];
        if (released != 0) {
            _held[id] = 0;
            Ledger storage ledger = _ledgers[id];
            ledger.credited = uint128(ledger.credited + released); // counted in `acceptedPlusOne` already
        }
    }

    function _creditOf(Ledger storage ledger, Party storage party) private view returns (uint256) {
        return uint256(party.settled) + uint256(ledger.credited) * party.shareBps / _BPS;
    }

    function _accepted(Ledger storage ledger) private view returns (uint256) {
        uint256 stored = ledger.acceptedPlusOne;
        return stored == 0 ? 0 : stored - 1;
    }

    function _addVote(uint256 id, uint64 mask, uint8 index) private view returns (uint64) {
        if ((mask >> index) & 1 == 1) revert AgreementAlreadyVoted(id, msg.sender);
        return mask | (uint64(1) << index);
    }

    function _requireSignable(uint256 id, uint32 version) private view {
        Core memory core = _existing(id);
        Governance memory governance = _governance[id];
        if (governance.pendingVersion == 0 || version != governance.pendingVersion) {
            revert AgreementVersionNotPending(id, version);
        }
        if (block.timestamp >= core.endTime) revert AgreementExpired(id, core.endTime);
    }

    function _inForce(uint256 id) private view returns (Core storage core) {
        core = _cores[id];
        Status status = statusOf(id);
        if (status != Status.Active && status != Status.Disputed) revert AgreementWrongStatus(id, status);
        if (block.timestamp >= core.endTime) revert AgreementExpired(id, core.endTime);
    }

    function _requireParty(uint256 id, address account) private view returns (Party storage party) {
        _existing(id);
        party = _partyOf[id][account];
        if (party.shareBps == 0) revert AgreementNotParty(id, account);
    }

    function _requireActiveMember(address account) private view {
        if (!consortium.isActiveMember(account)) revert AgreementNotActiveMember(account);
    }

    function _existing(uint256 id) private view returns (Core memory core) {
        core = _cores[id];
        if (core.status == Status.None) revert AgreementUnknown(id);
    }

    function _checkPeriod(uint256 startTime, uint256 endTime) private view {
        if (endTime <= startTime || endTime <= block.timestamp) revert AgreementInvalidPeriod(startTime, endTime);
    }

    function _popCount(uint64 mask) private pure returns (uint256 count) {
        while (mask != 0) {
            mask &= mask - 1;
            ++count;
        }
    }
}
