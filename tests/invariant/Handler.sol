// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Agreements} from "../../contracts/Agreements.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {PartnerRatings} from "../../contracts/PartnerRatings.sol";
import {ReferralRewards} from "../../contracts/ReferralRewards.sol";
import {MockERC20} from "../../contracts/test/MockERC20.sol";

import {VM_ADDRESS, Vm} from "./Vm.sol";

/// @notice The private keys of the campaign's members, founders of its consortium (the handler signs EIP-712
///         approvals and vouchers with them).
function memberKeys() pure returns (uint256[] memory keys) {
    keys = new uint256[](8);
    for (uint256 i = 0; i < keys.length; ++i) {
        keys[i] = 0xA11CE + i;
    }
}

/// @title Handler
/// @notice Every action of the four contracts, for Foundry's invariant fuzzer: it calls these functions in
///         random order with random arguments, and the campaign checks the invariants after every call.
/// @dev Arguments are seeds, steered here to the ids, members and amounts that can act (an agreement in force
///      for a deposit, a party that has not signed for a signature, a confirmed referral for a claim), so
///      most calls change state instead of failing on a nonsensical id; the rules themselves are broken on
///      purpose by the Brownie tests. A call the contracts refuse reverts whole, ghosts included. The ghosts count what went in and out per asset, what each party withdrew, and
///      which referral rewards were paid, independently of the contracts' own books.
contract Handler {
    Vm private constant _VM = Vm(VM_ADDRESS);
    address internal constant NATIVE = address(0);
    uint256 private constant _MEMBERS = 8; // memberKeys().length
    /// @dev Members stop exiting and being suspended once this few are active, so the campaign goes on.
    uint256 private constant _MIN_ACTIVE = 5;
    uint256 private constant _MAX_AMOUNT = 1e24;

    Consortium public immutable consortium;
    Agreements public immutable agreements;
    ReferralRewards public immutable referrals;
    PartnerRatings public immutable ratings;
    MockERC20 public immutable token;
    address public immutable customer;

    /// @notice The members' addresses (founders of the consortium), and their private keys.
    address[] public members;
    mapping(address member => uint256 key) private _keyOf;

    /// @notice Ghosts: money into and out of each contract, per asset.
    mapping(address asset => uint256) public agreementsIn;
    mapping(address asset => uint256) public agreementsOut;
    mapping(address asset => uint256) public referralsIn;
    mapping(address asset => uint256) public referralsOut;
    /// @notice Ghost: what each party was paid by each agreement.
    mapping(uint256 id => mapping(address party => uint256)) public paidTo;
    /// @notice Ghost: agreements seen terminated (they must stay so).
    uint256[] public terminated;
    mapping(uint256 id => bool) private _seenTerminated;
    /// @notice Ghost: set when a referral's reward was paid a second time.
    bool public paidTwice;
    mapping(bytes32 referralKey => bool) private _paid;

    /// @notice A referral recorded during the campaign.
    struct Recorded {
        uint256 programId;
        address referrer;
        bytes32 commitment;
    }

    Recorded[] private _recorded;
    /// @notice Ghost: set when the ratings contract accepted a rating that breaks one of its rules, judged here
    ///         from the registry's statuses, the agreement's parties and versions, and the clock.
    bool public ratingRuleBroken;
    /// @notice Ghost: ratings accepted, and signed ratings submitted per rater.
    uint256 public ratingsAccepted;
    mapping(address rater => uint256) public signedRatings;
    /// @notice How many calls reached the end of a handler (the contracts accepted them).
    uint256 public accepted;

    constructor(
        Consortium consortium_,
        Agreements agreements_,
        ReferralRewards referrals_,
        PartnerRatings ratings_,
        MockERC20 token_
    ) {
        consortium = consortium_;
        agreements = agreements_;
        referrals = referrals_;
        ratings = ratings_;
        token = token_;
        customer = _VM.addr(0xC057);
        uint256[] memory keys = memberKeys();
        for (uint256 i = 0; i < keys.length; ++i) {
            address member = _VM.addr(keys[i]);
            members.push(member);
            _keyOf[member] = keys[i];
            _approveContracts(member);
        }
        _approveContracts(customer);
    }

    // ------------------------------------------------------------------------------------------ agreements

    function propose(uint256 seed, uint256 count, bool native, uint256 firstShare, uint256 duration) external {
        address[] memory active = _activeMembers(seed);
        uint256 n = 2 + count % 3;
        if (n > active.length) n = active.length;
        address[] memory parties = new address[](n);
        uint16[] memory shares = _shares(n, firstShare);
        for (uint256 i = 0; i < n; ++i) {
            parties[i] = active[i];
        }
        uint64 start = uint64(block.timestamp);
        Agreements.Proposal memory proposal = Agreements.Proposal({
            kind: Agreements.Kind(seed % 7),
            termsHash: keccak256(abi.encode(seed)),
            uri: "",
            parties: parties,
            sharesBps: shares,
            asset: native ? NATIVE : address(token),
            startTime: start,
            endTime: start + 30 days + uint64(duration % 90 days)
        });
        _VM.prank(parties[0]);
        agreements.propose(proposal);
        _done();
    }

    function sign(uint256 idSeed, uint256 partySeed) external {
        (uint256 id, uint32 version, address party) = _signer(idSeed, partySeed);
        _VM.prank(party);
        agreements.sign(id, version);
        _done();
    }

    /// @notice A party signs off chain (EIP-712, with its key) and the customer submits the signature.
    function signWithSignature(uint256 idSeed, uint256 partySeed) external {
        (uint256 id, uint32 version, address party) = _signer(idSeed, partySeed);
        (uint8 v, bytes32 r, bytes32 s) = _VM.sign(_keyOf[party], agreements.approvalDigest(id, version));
        bytes[] memory signatures = new bytes[](1);
        signatures[0] = abi.encodePacked(r, s, v);
        _VM.prank(customer);
        agreements.signWithSignatures(id, version, signatures);
        _done();
    }

    /// @notice A party proposes an amendment: new shares, or (one call in three) the shares as they are, which
    ///         is what lets an amendment go ahead without a party that left.
    function amend(uint256 idSeed, uint256 partySeed, uint256 firstShare, uint256 duration) external {
        (uint256 id, address party) = _party(_inForce(idSeed), partySeed);
        address[] memory parties = agreements.partiesOf(id);
        uint16[] memory shares = _shares(parties.length, firstShare);
        if (firstShare % 3 == 0) {
            for (uint256 i = 0; i < parties.length; ++i) {
                shares[i] = uint16(agreements.shareOf(id, parties[i]));
            }
        }
        _VM.prank(party);
        agreements.proposeAmendment(
            id, keccak256(abi.encode(id, duration)), "", shares, uint64(block.timestamp + 30 days + duration % 90 days)
        );
        _done();
    }

    /// @notice Anybody completes a pending amendment whose unsigned parties left; with `suspendLaggard`, the
    ///         members first suspend one party that has not signed (how an amendment comes to need this).
    function completeAmendment(uint256 idSeed, uint256 laggardSeed, bool suspendLaggard) external {
        uint256 id = _agreementWhere(idSeed, _hasPendingAmendment);
        if (suspendLaggard) {
            require(consortium.activeMemberCount() > _MIN_ACTIVE, "skipped: too few active members");
            (,, address laggard) = _signer(id, laggardSeed);
            address[] memory active = _activeMembers(laggardSeed);
            _VM.prank(active[0] == laggard ? active[1] : active[0]);
            _carry(consortium.proposeSuspension(laggard));
        }
        _VM.prank(customer);
        agreements.completeAmendment(id);
        _done();
    }

    /// @notice A party raises a dispute: on an agreement in force, or (one call in three) on any agreement,
    ///         whatever its status.
    function raiseDispute(uint256 idSeed, uint256 partySeed) external {
        (uint256 id, address party) = _party(partySeed % 3 == 0 ? _agreement(idSeed) : _inForce(idSeed), partySeed);
        _VM.prank(party);
        agreements.raiseDispute(id, keccak256("reason"));
        _done();
    }

    function voteToResolve(uint256 idSeed, uint256 partySeed) external {
        (uint256 id, address party) = _party(_disputed(idSeed), partySeed);
        _VM.prank(party);
        agreements.voteToResolve(id);
        _done();
    }

    /// @notice Anybody releases a dispute; with `waitForWindow`, once the dispute window has passed.
    function releaseDispute(uint256 idSeed, bool waitForWindow) external {
        uint256 id = _disputed(idSeed);
        if (waitForWindow) _VM.warp(block.timestamp + agreements.DISPUTE_WINDOW());
        _VM.prank(customer);
        agreements.releaseDispute(id);
        _done();
    }

    function consentToTerminate(uint256 idSeed, uint256 partySeed) external {
        (uint256 id, address party) = _party(_agreement(idSeed), partySeed);
        _VM.prank(party);
        agreements.consentToTerminate(id);
        if (agreements.statusOf(id) == Agreements.Status.Terminated && !_seenTerminated[id]) {
            _seenTerminated[id] = true;
            terminated.push(id);
        }
        _done();
    }

    /// @notice The customer pays revenue in: into an agreement in force, or (one call in four) into any.
    function deposit(uint256 idSeed, uint256 amount) external {
        uint256 id = amount % 4 == 0 ? _agreement(idSeed) : _inForce(idSeed);
        amount = 1 + amount % _MAX_AMOUNT;
        address asset = agreements.agreement(id).asset;
        uint256 value = 0;
        if (asset == NATIVE) {
            _VM.deal(customer, amount);
            value = amount;
        } else {
            token.mint(customer, amount);
        }
        _VM.prank(customer);
        agreements.deposit{value: value}(id, asset, amount);
        agreementsIn[asset] += amount;
        _done();
    }

    function withdraw(uint256 idSeed, uint256 partySeed) external {
        (uint256 id, address party) = _payee(idSeed, partySeed);
        _VM.prank(party);
        uint256 amount = agreements.withdraw(id);
        agreementsOut[agreements.agreement(id).asset] += amount;
        paidTo[id][party] += amount;
        _done();
    }

    // ------------------------------------------------------------------------------------------ governance

    /// @notice A member leaves (while enough stay active, so the campaign goes on).
    function exit(uint256 memberSeed) external {
        require(consortium.activeMemberCount() > _MIN_ACTIVE, "skipped: too few active members");
        _VM.prank(_member(memberSeed));
        consortium.exit();
        _done();
    }

    /// @notice A member proposes to suspend another, and the electorate votes until it passes.
    function suspend(uint256 proposerSeed, uint256 subjectSeed) external {
        require(consortium.activeMemberCount() > _MIN_ACTIVE, "skipped: too few active members");
        address[] memory active = _activeMembers(proposerSeed);
        _VM.prank(active[0]);
        uint256 proposalId = consortium.proposeSuspension(active[1 + subjectSeed % (active.length - 1)]);
        _carry(proposalId);
    }

    /// @notice A member proposes to reinstate a suspended one, and the electorate votes until it passes.
    function reinstate(uint256 proposerSeed, uint256 subjectSeed) external {
        address subject = address(0);
        for (uint256 i = 0; i < _MEMBERS && subject == address(0); ++i) {
            address candidate = _member(subjectSeed + i);
            if (consortium.member(candidate).status == IConsortium.MemberStatus.Suspended) subject = candidate;
        }
        require(subject != address(0), "nobody is suspended");
        _VM.prank(_activeMembers(proposerSeed)[0]);
        uint256 proposalId = consortium.proposeReinstatement(subject);
        _carry(proposalId);
    }

    // ------------------------------------------------------------------------------------------- referrals

    function createProgram(
        uint256 sponsorSeed,
        bool native,
        uint256 fixedReward,
        uint256 rewardBps,
        uint256 cap,
        uint256 perReferrerCap,
        uint256 budget,
        uint256 duration
    ) external {
        address sponsor = _activeMembers(sponsorSeed)[0];
        cap = 1 + cap % 1e20;
        rewardBps = rewardBps % 10_001;
        fixedReward = fixedReward % (cap + 1);
        if (fixedReward == 0 && rewardBps == 0) rewardBps = 100;
        // No per-referrer cap in one program of three; otherwise one between one and three rewards at the cap,
        // so that a referrer's second or third conversion meets it.
        perReferrerCap = perReferrerCap % 3 == 0 ? 0 : cap + cap * (perReferrerCap % 4) / 2 + 1;
        budget = 1 + budget % 1e22;
        address asset = native ? NATIVE : address(token);
        ReferralRewards.ProgramTerms memory terms = ReferralRewards.ProgramTerms({
            asset: asset,
            fixedReward: uint96(fixedReward),
            rewardBps: uint16(rewardBps),
            cap: uint128(cap),
            perReferrerCap: uint128(perReferrerCap),
            expiry: uint64(block.timestamp + 20 days + duration % 60 days)
        });
        uint256 value = _fundFrom(sponsor, asset, budget);
        _VM.prank(sponsor);
        referrals.createProgram{value: value}(terms, budget);
        referralsIn[asset] += budget;
        _done();
    }

    function fund(uint256 programSeed, uint256 amount) external {
        uint256 programId = _openProgram(programSeed);
        ReferralRewards.ProgramView memory program = referrals.program(programId);
        amount = 1 + amount % 1e22;
        uint256 value = _fundFrom(program.sponsor, program.asset, amount);
        _VM.prank(program.sponsor);
        referrals.fund{value: value}(programId, amount);
        referralsIn[program.asset] += amount;
        _done();
    }

    function recordReferral(uint256 programSeed, uint256 referrerSeed, uint256 lead) external {
        uint256 programId = _openProgram(programSeed);
        address[] memory active = _activeMembers(referrerSeed);
        address referrer = active[0] == referrals.program(programId).sponsor ? active[1] : active[0];
        bytes32 commitment = keccak256(abi.encode(keccak256(abi.encode(lead % 16)), referrer, bytes32(lead)));
        _VM.prank(referrer);
        referrals.recordReferral(programId, commitment);
        _recorded.push(Recorded(programId, referrer, commitment));
        _done();
    }

    /// @notice The campaign's copier: records, under itself, a commitment another referrer recorded.
    function copyReferral(uint256 referralSeed, uint256 copierSeed, uint256 programSeed) external {
        Recorded memory original = _recorded[_index(referralSeed, _recorded.length)];
        uint256 programId = programSeed % 2 == 0 ? original.programId : _openProgram(programSeed);
        address copier = _activeMembers(copierSeed)[0];
        _VM.prank(copier);
        referrals.recordReferral(programId, original.commitment);
        _recorded.push(Recorded(programId, copier, original.commitment));
        _done();
    }

    function confirmConversion(uint256 referralSeed, uint256 conversionValue) external {
        Recorded memory entry = _referral(referralSeed, ReferralRewards.ReferralStatus.Recorded);
        _VM.prank(referrals.program(entry.programId).sponsor);
        referrals.confirmConversion(entry.programId, entry.referrer, entry.commitment, conversionValue % 1e24);
        _done();
    }

    function claimReward(uint256 referralSeed) external {
        Recorded memory entry = _referral(referralSeed, ReferralRewards.ReferralStatus.Confirmed);
        _VM.prank(entry.referrer);
        uint256 amount = referrals.claimReward(entry.programId, entry.commitment);
        _markPaid(entry, amount);
        _done();
    }

    /// @notice The sponsor signs a voucher with its key; the customer (a relayer) redeems it.
    function redeemVoucher(uint256 referralSeed, uint256 conversionValue) external {
        Recorded memory entry = _referral(referralSeed, ReferralRewards.ReferralStatus.Recorded);
        ReferralRewards.ProgramView memory program = referrals.program(entry.programId);
        conversionValue = conversionValue % 1e24;
        ReferralRewards.Voucher memory voucher = ReferralRewards.Voucher({
            programId: entry.programId,
            referrer: entry.referrer,
            commitment: entry.commitment,
            conversionValue: conversionValue,
            reward: referrals.rewardFor(entry.programId, conversionValue),
            deadline: block.timestamp + 1 hours,
            nonce: program.voucherNonce
        });
        (uint8 v, bytes32 r, bytes32 s) = _VM.sign(_keyOf[program.sponsor], referrals.voucherDigest(voucher));
        _VM.prank(customer);
        uint256 amount = referrals.redeemVoucher(voucher, v, r, s);
        _markPaid(entry, amount);
        _done();
    }

    function revokeVouchers(uint256 programSeed) external {
        uint256 programId = _program(programSeed);
        _VM.prank(referrals.program(programId).sponsor);
        referrals.revokeVouchers(programId);
        _done();
    }

    /// @notice A program closes early, in one call of four (so most programs live to convert referrals).
    function closeProgram(uint256 programSeed, uint256 callerSeed) external {
        require(callerSeed % 4 == 0, "skipped: three calls in four");
        uint256 programId = _program(programSeed);
        address caller = callerSeed % 8 == 0 ? referrals.program(programId).sponsor : _member(callerSeed / 8);
        _VM.prank(caller);
        referrals.closeProgram(programId);
        _done();
    }

    function reclaimBudget(uint256 programSeed) external {
        uint256 programId = _program(programSeed);
        ReferralRewards.ProgramView memory program = referrals.program(programId);
        _VM.prank(program.sponsor);
        uint256 amount = referrals.reclaimBudget(programId);
        referralsOut[program.asset] += amount;
        _done();
    }

    // --------------------------------------------------------------------------------------------- ratings

    /// @notice A party rates a partner. Mostly a rating the rules allow, but the seeds also reach scores outside
    ///         1..5, self ratings, non-parties, versions that never took effect, raters who left and agreements
    ///         not in force long enough: the contract must refuse those (`ratingRuleBroken` otherwise).
    function rate(uint256 idSeed, uint256 raterSeed, uint256 rateeSeed, uint256 scoreSeed, uint256 versionSeed)
        external
    {
        (uint256 id, address rater, address ratee, uint32 version, uint8 score) =
            _rating(idSeed, raterSeed, rateeSeed, scoreSeed, versionSeed);
        bool breaks = _breaksARatingRule(id, rater, ratee, version, score);
        _VM.prank(rater);
        ratings.rate(id, version, ratee, score, bytes32(scoreSeed));
        _rated(breaks);
    }

    /// @notice A party signs a rating off chain and the customer submits it; with `replay`, the previous nonce
    ///         is signed (a replay, which must revert once that nonce was used).
    function rateWithSignature(
        uint256 idSeed,
        uint256 raterSeed,
        uint256 rateeSeed,
        uint256 scoreSeed,
        uint256 versionSeed,
        bool replay
    ) external {
        (uint256 id, address rater, address ratee, uint32 version, uint8 score) =
            _rating(idSeed, raterSeed, rateeSeed, scoreSeed, versionSeed);
        bool breaks = _breaksARatingRule(id, rater, ratee, version, score);
        uint256 nonce = ratings.nonces(rater);
        if (replay && nonce > 0) nonce -= 1;
        PartnerRatings.SignedRating memory rating = PartnerRatings.SignedRating({
            rater: rater,
            agreementId: id,
            version: version,
            ratee: ratee,
            score: score,
            commentHash: bytes32(scoreSeed),
            nonce: nonce,
            deadline: block.timestamp + 1 hours
        });
        (uint8 v, bytes32 r, bytes32 s) = _VM.sign(_keyOf[rater], ratings.ratingDigest(rating));
        _VM.prank(customer);
        ratings.rateWithSignature(rating, abi.encodePacked(r, s, v));
        signedRatings[rater] += 1;
        if (nonce != signedRatings[rater] - 1) ratingRuleBroken = true; // a nonce was used twice or skipped
        _rated(breaks);
    }

    // ------------------------------------------------------------------------------------------------ time

    /// @notice Time passes: mostly hours to two days, one call in ten up to 40 days (past a dispute's window,
    ///         a consent round, an agreement's end).
    function warp(uint256 seconds_) external {
        _VM.warp(block.timestamp + (seconds_ % 10 == 0 ? seconds_ % 40 days : seconds_ % 2 days));
        _done();
    }

    // ------------------------------------------------------------------------------------- for invariants

    function terminatedCount() external view returns (uint256) {
        return terminated.length;
    }

    function recordedCount() external view returns (uint256) {
        return _recorded.length;
    }

    function recorded(uint256 index) external view returns (Recorded memory) {
        return _recorded[index];
    }

    // ------------------------------------------------------------------------------------------- internals

    /// @dev The rating a rating action makes from its seeds: an agreement that took effect, a party that is an
    ///      active member rating another party, the version in force and a score in 1..5, once the agreement is
    ///      open for rating. Now and then the seeds break a rule instead: one call in six takes any party as
    ///      rater (maybe one who left), one in seven rates the rater itself, one in eleven a member that may not
    ///      be a party, one in five names a version from 0 to 3, one in nine gives a score from 0 to 7, and one
    ///      in four does not wait for the agreement to be open.
    function _rating(uint256 idSeed, uint256 raterSeed, uint256 rateeSeed, uint256 scoreSeed, uint256 versionSeed)
        private
        returns (uint256 id, address rater, address ratee, uint32 version, uint8 score)
    {
        id = _agreementWhere(idSeed, _tookEffect);
        Agreements.Summary memory summary = agreements.agreement(id);
        address[] memory parties = agreements.partiesOf(id);
        uint256 raterIndex = raterSeed % 6 == 0 ? raterSeed % parties.length : _activeParty(parties, raterSeed);
        rater = parties[raterIndex];
        ratee = parties[(raterIndex + 1 + rateeSeed % (parties.length - 1)) % parties.length];
        if (rateeSeed % 7 == 0) ratee = rater;
        if (rateeSeed % 11 == 0) ratee = _member(rateeSeed);
        version = versionSeed % 5 == 0 ? uint32(versionSeed % 4) : summary.currentVersion;
        score = scoreSeed % 9 == 0 ? uint8(scoreSeed % 8) : uint8(1 + scoreSeed % 5);
        uint256 opensAt = ratings.ratingOpensAt(summary.startTime);
        if (versionSeed % 4 != 0 && block.timestamp < opensAt) _VM.warp(opensAt);
    }

    /// @dev The index of the first party from `seed` on that is an active member (`seed`'s own if none is).
    function _activeParty(address[] memory parties, uint256 seed) private view returns (uint256) {
        for (uint256 i = 0; i < parties.length; ++i) {
            uint256 index = (seed + i) % parties.length;
            if (consortium.isActiveMember(parties[index])) return index;
        }
        return seed % parties.length;
    }

    /// @dev Whether a rating breaks a rule, judged without the ratings contract.
    function _breaksARatingRule(uint256 id, address rater, address ratee, uint32 version, uint8 score)
        private
        view
        returns (bool)
    {
        Agreements.Summary memory summary = agreements.agreement(id);
        bool tookEffect = version >= 1 && version <= summary.currentVersion
            && !agreements.versionOf(id, version).replaced;
        return score < 1 || score > 5 || rater == ratee
            || consortium.member(rater).status != IConsortium.MemberStatus.Active || !_isPartyOf(id, rater)
            || !_isPartyOf(id, ratee) || !tookEffect || block.timestamp < summary.startTime + 14 days;
    }

    function _isPartyOf(uint256 id, address account) private view returns (bool) {
        address[] memory parties = agreements.partiesOf(id);
        for (uint256 i = 0; i < parties.length; ++i) {
            if (parties[i] == account) return true;
        }
        return false;
    }

    function _rated(bool breaksARule) private {
        if (breaksARule) ratingRuleBroken = true;
        ratingsAccepted += 1;
        _done();
    }

    function _tookEffect(uint256 id) private view returns (bool) {
        return agreements.agreement(id).currentVersion >= 1;
    }

    /// @dev Lets both contracts take `account`'s tokens.
    function _approveContracts(address account) private {
        _VM.startPrank(account);
        token.approve(address(agreements), type(uint256).max);
        token.approve(address(referrals), type(uint256).max);
        _VM.stopPrank();
    }

    function _done() private {
        accepted += 1;
    }

    /// @dev `n` shares in basis points, each > 0, summing to 10 000: the first from `seed`, the rest even.
    function _shares(uint256 n, uint256 seed) private pure returns (uint16[] memory shares) {
        shares = new uint16[](n);
        uint256 first = 1 + seed % (10_000 - (n - 1));
        shares[0] = uint16(first);
        uint256 rest = 10_000 - first;
        for (uint256 i = 1; i < n; ++i) {
            uint256 share = i == n - 1 ? rest : (10_000 - first) / (n - 1);
            shares[i] = uint16(share);
            rest -= share;
        }
    }

    function _carry(uint256 proposalId) private {
        for (uint256 i = 0; i < _MEMBERS && !consortium.proposal(proposalId).executed; ++i) {
            address voter = members[i];
            if (!consortium.isActiveMember(voter) || consortium.hasApproved(proposalId, voter)) continue;
            _VM.prank(voter);
            try consortium.approve(proposalId) {} catch {}
        }
        _done();
    }

    function _fundFrom(address payer, address asset, uint256 amount) private returns (uint256 value) {
        if (asset == NATIVE) {
            _VM.deal(payer, payer.balance + amount);
            return amount;
        }
        token.mint(payer, amount);
        return 0;
    }

    function _markPaid(Recorded memory entry, uint256 amount) private {
        bytes32 key = keccak256(abi.encode(entry.programId, entry.referrer, entry.commitment));
        if (_paid[key]) paidTwice = true;
        _paid[key] = true;
        referralsOut[referrals.program(entry.programId).asset] += amount;
    }

    function _member(uint256 seed) private view returns (address) {
        return members[seed % _MEMBERS];
    }

    /// @dev The active members, in member order rotated by `seed`; at least two (the campaign keeps five).
    function _activeMembers(uint256 seed) private view returns (address[] memory active) {
        active = new address[](_MEMBERS);
        uint256 count = 0;
        for (uint256 i = 0; i < _MEMBERS; ++i) {
            address member = _member(seed + i);
            if (consortium.isActiveMember(member)) active[count++] = member;
        }
        require(count >= 2, "fewer than two active members");
        assembly ("memory-safe") {
            mstore(active, count)
        }
    }

    function _index(uint256 seed, uint256 count) private pure returns (uint256) {
        require(count != 0, "nothing to choose from");
        return seed % count;
    }

    /// @dev The first agreement from `seed` on (in id order, wrapping) for which `wanted` holds.
    function _agreementWhere(uint256 seed, function(uint256) view returns (bool) wanted)
        private
        view
        returns (uint256)
    {
        uint256 count = agreements.agreementCount();
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = 1 + (seed + i) % count;
            if (wanted(id)) return id;
        }
        revert("no such agreement");
    }

    function _isInForce(uint256 id) private view returns (bool) {
        Agreements.Status status = agreements.statusOf(id);
        return status == Agreements.Status.Active || status == Agreements.Status.Disputed;
    }

    function _isDisputed(uint256 id) private view returns (bool) {
        return agreements.statusOf(id) == Agreements.Status.Disputed;
    }

    function _isSignable(uint256 id) private view returns (bool) {
        Agreements.Status status = agreements.statusOf(id);
        return agreements.agreement(id).pendingVersion != 0 && status != Agreements.Status.Expired
            && status != Agreements.Status.Terminated;
    }

    function _hasPendingAmendment(uint256 id) private view returns (bool) {
        return _isSignable(id) && agreements.agreement(id).pendingVersion >= 2;
    }

    function _inForce(uint256 seed) private view returns (uint256) {
        return _agreementWhere(seed, _isInForce);
    }

    function _disputed(uint256 seed) private view returns (uint256) {
        return _agreementWhere(seed, _isDisputed);
    }

    function _party(uint256 id, uint256 partySeed) private view returns (uint256, address) {
        address[] memory parties = agreements.partiesOf(id);
        return (id, parties[partySeed % parties.length]);
    }

    /// @dev A party that is an active member and has not signed the version awaiting signatures.
    function _signer(uint256 idSeed, uint256 partySeed)
        private
        view
        returns (uint256 id, uint32 version, address party)
    {
        id = idSeed != 0 && idSeed <= agreements.agreementCount() && _isSignable(idSeed)
            ? idSeed
            : _agreementWhere(idSeed, _isSignable);
        version = agreements.agreement(id).pendingVersion;
        address[] memory parties = agreements.partiesOf(id);
        for (uint256 i = 0; i < parties.length; ++i) {
            party = parties[(partySeed + i) % parties.length];
            if (!agreements.hasSigned(id, version, party) && consortium.isActiveMember(party)) return (id, version, party);
        }
        revert("every active party signed");
    }

    /// @dev A party with something to withdraw, in the first agreement from `idSeed` on that has one.
    function _payee(uint256 idSeed, uint256 partySeed) private view returns (uint256 id, address party) {
        uint256 count = agreements.agreementCount();
        for (uint256 i = 0; i < count; ++i) {
            id = 1 + (idSeed + i) % count;
            address[] memory parties = agreements.partiesOf(id);
            for (uint256 j = 0; j < parties.length; ++j) {
                party = parties[(partySeed + j) % parties.length];
                if (agreements.withdrawable(id, party) != 0) return (id, party);
            }
        }
        revert("nothing to withdraw anywhere");
    }

    function _agreement(uint256 seed) private view returns (uint256) {
        return 1 + _index(seed, agreements.agreementCount());
    }

    function _program(uint256 seed) private view returns (uint256) {
        return 1 + _index(seed, referrals.programCount());
    }

    /// @dev The first program from `seed` on that takes referrals: open, and its sponsor active.
    function _openProgram(uint256 seed) private view returns (uint256) {
        uint256 count = referrals.programCount();
        for (uint256 i = 0; i < count; ++i) {
            uint256 programId = 1 + (seed + i) % count;
            ReferralRewards.ProgramView memory program = referrals.program(programId);
            if (!program.closed && block.timestamp < program.expiry && consortium.isActiveMember(program.sponsor)) {
                return programId;
            }
        }
        revert("no open program");
    }

    /// @dev The first referral from `seed` on in status `status`.
    function _referral(uint256 seed, ReferralRewards.ReferralStatus status) private view returns (Recorded memory) {
        uint256 count = _recorded.length;
        for (uint256 i = 0; i < count; ++i) {
            Recorded memory entry = _recorded[(seed + i) % count];
            if (referrals.referral(entry.programId, entry.referrer, entry.commitment).status == status) return entry;
        }
        revert("no referral in that status");
    }
}
