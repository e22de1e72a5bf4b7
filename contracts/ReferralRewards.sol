// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IConsortium} from "./interfaces/IConsortium.sol";
import {Payments} from "./libraries/Payments.sol";

/// @title ReferralRewards
/// @notice Referral programs between consortium members: a sponsor funds a budget, referrers record referrals
///         as commitments (no personal data on chain), the sponsor confirms conversions, referrers claim.
/// @dev Money rules:
///      - The reward of a conversion is `min(fixedReward + conversionValue * rewardBps / 10 000, cap)`, rounded
///        down, and is reserved from the budget when the conversion is confirmed: a confirmed reward is always
///        payable. A confirmation whose reward exceeds the unreserved budget (or the referrer's cap) reverts.
///      - The contract holds, per program, the unreserved budget plus the confirmed rewards not yet claimed.
///      - After the expiry (or an early close) no referral, confirmation or voucher is accepted; the sponsor
///        reclaims the unreserved budget; confirmed rewards stay claimable forever.
///      Who gets paid:
///      - A referral is recorded under its referrer: it is keyed by (program, referrer, commitment), and the
///        commitment is `keccak256(abi.encode(keccak256(leadId), referrer, salt))`, so it names the referrer
///        too. Whoever copies a pending `recordReferral`, or reuses a commitment seen on chain, records a
///        referral of its own that blocks nobody, and whose commitment it cannot open under its own address:
///        the sponsor, shown the lead and the salt, confirms the referrer whose address opens it.
///      - Confirmations, vouchers and claims name the referrer; a reward is only ever paid to it.
///      - Vouchers: the sponsor signs (EIP-712) `ConversionVoucher(programId, referrer, commitment,
///        conversionValue, reward, deadline, nonce)`; anybody may redeem it (the referrer, or a relayer paying
///        its gas): that confirms the conversion and pays the named referrer in one call, and the sponsor pays
///        no gas. A voucher is bound to this chain and contract (domain), to one program and one referral (a
///        referral converts once, so a voucher cannot be replayed), expires at its deadline, and carries the
///        program's voucher nonce: `revokeVouchers` raises it and voids every outstanding voucher of the program.
///      - When the sponsor is no longer an active member (it exited or was suspended), the program takes no new
///        referrals, confirmations or vouchers, and anybody may close it, so its unreserved budget can go back
///        to the sponsor; confirmed rewards stay claimable.
///      Reentrancy: every function that sends money writes its state first and calls out last
///      (checks-effects-interactions); those that take money in (`createProgram`, `fund`) are guarded.
contract ReferralRewards is EIP712, ReentrancyGuard {
    using SafeCast for uint256;

    /// @notice Where a referral is in its life.
    enum ReferralStatus {
        None,
        Recorded,
        Confirmed,
        Claimed
    }

    /// @notice What a sponsor sets when it creates a program.
    /// @param asset Reward asset: address(0) for the native coin, else an ERC-20 the consortium approved.
    /// @param fixedReward Fixed part of the reward per conversion (at most `cap`).
    /// @param rewardBps Variable part, in basis points (0..10 000) of the conversion value.
    /// @param cap Most a single conversion can earn (1..2^88-1).
    /// @param perReferrerCap Most one referrer can earn in the program; 0 for no limit.
    /// @param expiry First second at which the program no longer takes referrals or confirmations.
    struct ProgramTerms {
        address asset;
        uint96 fixedReward;
        uint16 rewardBps;
        uint128 cap;
        uint128 perReferrerCap;
        uint64 expiry;
    }

    /// @notice A program as `program` returns it. `budget` is the unreserved budget (what the rewards reserved
    ///         so far come to is in the `ConversionConfirmed` and `VoucherRedeemed` events).
    struct ProgramView {
        address sponsor;
        address asset;
        uint256 fixedReward;
        uint256 rewardBps;
        uint256 cap;
        uint256 perReferrerCap;
        uint256 expiry;
        bool closed;
        uint256 budget;
        uint256 voucherNonce;
    }

    /// @notice A sponsor's signed confirmation of one conversion of one referrer's referral.
    struct Voucher {
        uint256 programId;
        address referrer;
        bytes32 commitment;
        uint256 conversionValue;
        uint256 reward;
        uint256 deadline;
        uint256 nonce;
    }

    /// @notice A referral as `referral` returns it. `asset` is set when it is confirmed (what its reward is
    ///         paid in), `reward` is the reserved reward.
    struct Referral {
        ReferralStatus status;
        uint88 reward;
        address asset;
    }

    /// @dev Slot 1: what recording, confirming and redeeming check.
    struct Header {
        address sponsor;
        uint40 expiry;
        uint16 rewardBps;
        bool closed;
        uint32 voucherNonce;
    }

    /// @dev Slot 2: what paying needs, the fixed part of the rule, and whether a per-referrer cap applies.
    struct Payout {
        address asset;
        uint88 fixedReward;
        bool referrerCapped;
    }

    /// @dev Slot 3: the unreserved budget and the cap of one conversion, both read on every confirmation.
    struct Budget {
        uint128 unreserved;
        uint88 perConversionCap;
    }

    uint256 private constant _BPS = 10_000;
    /// @notice EIP-712 type of a conversion voucher.
    bytes32 public constant VOUCHER_TYPEHASH = keccak256(
        "ConversionVoucher(uint256 programId,address referrer,bytes32 commitment,uint256 conversionValue,uint256 reward,uint256 deadline,uint256 nonce)"
    );

    /// @notice The member registry: sponsors and referrers must be active members.
    IConsortium public immutable consortium;

    uint256 private _programCount;
    mapping(uint256 programId => Header) private _headers;
    mapping(uint256 programId => Payout) private _payouts;
    mapping(uint256 programId => Budget) private _budgets;
    mapping(uint256 programId => uint256) private _perReferrerCaps;
    /// @dev What the sponsor says it pays to win a customer without referrals (0: not stated).
    mapping(uint256 programId => uint256) private _acquisitionCosts;
    mapping(uint256 programId => mapping(address referrer => mapping(bytes32 commitment => Referral))) private
        _referrals;
    mapping(uint256 programId => mapping(address referrer => uint256)) private _earned;

    /// @notice `account` must be an active consortium member to do this.
    error ReferralNotActiveMember(address account);
    /// @notice No program has id `programId`.
    error ReferralUnknownProgram(uint256 programId);
    /// @notice Only the sponsor of program `programId` may do this; `account` is not it.
    error ReferralNotSponsor(uint256 programId, address account);
    /// @notice A sponsor cannot refer leads to its own program.
    error ReferralSelfReferral(uint256 programId, address account);
    /// @notice The reward rule is invalid: cap must be 1..2^88-1, fixedReward at most cap, rewardBps at most
    ///         10 000, and a reward possible.
    error ReferralInvalidRule();
    /// @notice The expiry `expiry` is not in the future.
    error ReferralInvalidExpiry(uint256 expiry);
    /// @notice `asset` is not approved by the consortium for payments (the native coin, address(0), always is):
    ///         propose its approval to the members first (`Consortium.proposeAssetApproval`).
    error ReferralAssetNotApproved(address asset);
    /// @notice An amount must be positive.
    error ReferralZeroAmount();
    /// @notice Program `programId` stopped taking referrals and confirmations at `expiry`.
    error ReferralProgramExpired(uint256 programId, uint256 expiry);
    /// @notice Program `programId` runs until `expiry`; its budget cannot be reclaimed before.
    error ReferralProgramNotExpired(uint256 programId, uint256 expiry);
    /// @notice The sponsor `sponsor` of program `programId` is no longer an active member: the program takes
    ///         nothing new, and anybody may close it.
    error ReferralSponsorInactive(uint256 programId, address sponsor);
    /// @notice `referrer` already recorded commitment `commitment` in program `programId`.
    error ReferralDuplicate(uint256 programId, address referrer, bytes32 commitment);
    /// @notice `referrer` recorded no referral `commitment` in program `programId`.
    error ReferralNotFound(uint256 programId, address referrer, bytes32 commitment);
    /// @notice `referrer`'s referral `commitment` is `status`, which does not allow this.
    error ReferralWrongStatus(uint256 programId, address referrer, bytes32 commitment, ReferralStatus status);
    /// @notice A reward of `reward` exceeds the unreserved budget `budget` of program `programId`.
    error ReferralBudgetExceeded(uint256 programId, uint256 reward, uint256 budget);
    /// @notice A budget of `budget` plus `amount` passes the most a program can hold, 2^128-1.
    error ReferralBudgetOverflow(uint256 programId, uint256 budget, uint256 amount);
    /// @notice `referrer` has earned `earned`; `reward` more would pass its cap `cap`.
    error ReferralReferrerCapExceeded(uint256 programId, address referrer, uint256 earned, uint256 reward, uint256 cap);
    /// @notice The voucher was not signed by the program's sponsor (it recovers to `signer`).
    error ReferralInvalidVoucherSigner(address signer);
    /// @notice The voucher expired at `deadline`.
    error ReferralVoucherExpired(uint256 deadline);
    /// @notice The voucher carries nonce `nonce`; the program's vouchers now need `current`.
    error ReferralVoucherRevoked(uint256 nonce, uint256 current);
    /// @notice The voucher states reward `stated`; the program's rule gives `computed`.
    error ReferralRewardMismatch(uint256 stated, uint256 computed);
    /// @notice Program `programId` has no unreserved budget to reclaim.
    error ReferralNothingToReclaim(uint256 programId);

    /// @notice `sponsor` created program `programId` with this reward rule.
    event ProgramCreated(
        uint256 indexed programId,
        address indexed sponsor,
        address indexed asset,
        uint256 fixedReward,
        uint256 rewardBps,
        uint256 cap,
        uint256 perReferrerCap,
        uint256 expiry
    );
    /// @notice `sponsor` added `amount` to the budget of program `programId`.
    event ProgramFunded(uint256 indexed programId, address indexed sponsor, uint256 amount);
    /// @notice `by` closed program `programId` before its expiry (the sponsor, or anybody once the sponsor is
    ///         no longer an active member).
    event ProgramClosed(uint256 indexed programId, address indexed sponsor, address by);
    /// @notice `referrer` recorded referral `commitment` in `sponsor`'s program `programId`.
    event ReferralRecorded(
        uint256 indexed programId, address indexed sponsor, address indexed referrer, bytes32 commitment
    );
    /// @notice `sponsor` confirmed the conversion of `referrer`'s referral; `reward` is reserved for it.
    event ConversionConfirmed(
        uint256 indexed programId,
        address indexed sponsor,
        address indexed referrer,
        bytes32 commitment,
        uint256 conversionValue,
        uint256 reward
    );
    /// @notice `referrer` was paid `amount`, the reward of its referral `commitment` in program `programId`.
    event RewardClaimed(uint256 indexed programId, address indexed referrer, bytes32 indexed commitment, uint256 amount);
    /// @notice A voucher of `sponsor` was redeemed: `referrer`'s referral `commitment` converted with value
    ///         `conversionValue`, and its reward `reward` was paid to it, in one call.
    event VoucherRedeemed(
        uint256 indexed programId,
        address indexed sponsor,
        address indexed referrer,
        bytes32 commitment,
        uint256 conversionValue,
        uint256 reward
    );
    /// @notice `sponsor` took back `amount` of unreserved budget from program `programId`.
    event BudgetReclaimed(uint256 indexed programId, address indexed sponsor, uint256 amount);
    /// @notice `sponsor` voided the outstanding vouchers of program `programId`; new ones carry `nonce`.
    event VouchersRevoked(uint256 indexed programId, address indexed sponsor, uint256 nonce);
    /// @notice `sponsor` says it pays `cost` (in the reward asset) to win a customer without referrals: a
    ///         conversion through program `programId` saves it `cost` minus the conversion's reward.
    event AcquisitionCostSet(uint256 indexed programId, address indexed sponsor, uint256 cost);

    /// @param consortium_ The member registry.
    constructor(IConsortium consortium_) EIP712("coopledger ReferralRewards", "1") {
        consortium = consortium_;
    }

    // --------------------------------------------------------------------------------------- programs

    /// @notice Creates a program sponsored by the caller and funds it with `budget`.
    /// @dev Requirements: the caller is an active member; `terms` is a valid rule (`ReferralInvalidRule`), its
    ///      expiry in the future and its asset the native coin or an ERC-20 the consortium approved
    ///      (`IConsortium.isApprovedAsset`); `budget` > 0 and, for the native coin, sent as value (for an
    ///      ERC-20, approved to this contract). Emits `ProgramCreated` and `ProgramFunded`.
    /// @param terms The reward rule, asset and expiry (see `ProgramTerms`).
    /// @param budget The initial budget; for the native coin, the value sent.
    /// @return programId The new program (ids start at 1).
    function createProgram(ProgramTerms calldata terms, uint256 budget)
        external
        payable
        nonReentrant
        returns (uint256 programId)
    {
        _requireActiveMember(msg.sender);
        if (terms.cap == 0 || terms.cap > type(uint88).max || terms.fixedReward > terms.cap) {
            revert ReferralInvalidRule();
        }
        if (terms.rewardBps > _BPS || (terms.fixedReward == 0 && terms.rewardBps == 0)) revert ReferralInvalidRule();
        if (terms.expiry <= block.timestamp) revert ReferralInvalidExpiry(terms.expiry);
        if (!consortium.isApprovedAsset(terms.asset)) revert ReferralAssetNotApproved(terms.asset);
        if (budget == 0) revert ReferralZeroAmount();

        programId = ++_programCount;
        _headers[programId] = Header({
            sponsor: msg.sender,
            expiry: uint256(terms.expiry).toUint40(),
            rewardBps: terms.rewardBps,
            closed: false,
            voucherNonce: 0
        });
        _payouts[programId] = Payout({
            asset: terms.asset,
            fixedReward: uint88(terms.fixedReward),
            referrerCapped: terms.perReferrerCap != 0
        });
        _budgets[programId].perConversionCap = uint88(terms.cap);
        if (terms.perReferrerCap != 0) _perReferrerCaps[programId] = terms.perReferrerCap;
        emit ProgramCreated(
            programId,
            msg.sender,
            terms.asset,
            terms.fixedReward,
            terms.rewardBps,
            terms.cap,
            terms.perReferrerCap,
            terms.expiry
        );
        _fund(programId, terms.asset, budget);
    }

    /// @notice Tops up the budget of the caller's program `programId` before it expires.
    /// @dev Requirements: the caller is the program's sponsor and an active member; the program is open;
    ///      `amount` > 0 and the budget stays below 2^128. Emits `ProgramFunded`.
    /// @param programId The program.
    /// @param amount The amount added; for the native coin, the value sent.
    function fund(uint256 programId, uint256 amount) external payable nonReentrant {
        Header memory header = _requireSponsor(programId);
        _requireOpen(programId, header);
        if (amount == 0) revert ReferralZeroAmount();
        _fund(programId, _payouts[programId].asset, amount);
    }

    /// @notice Closes program `programId` now: no more referrals, confirmations or vouchers; the unreserved
    ///         budget becomes reclaimable by the sponsor.
    /// @dev Requirements: the program is open; the caller is its sponsor, or anybody once the sponsor is no
    ///      longer an active member (so a departed sponsor's program cannot keep running). Emits
    ///      `ProgramClosed`.
    /// @param programId The program.
    function closeProgram(uint256 programId) external {
        Header memory header = _existingProgram(programId);
        if (header.closed || block.timestamp >= header.expiry) {
            revert ReferralProgramExpired(programId, header.expiry);
        }
        if (msg.sender != header.sponsor && consortium.isActiveMember(header.sponsor)) {
            revert ReferralNotSponsor(programId, msg.sender);
        }
        _headers[programId].closed = true;
        emit ProgramClosed(programId, header.sponsor, msg.sender);
    }

    /// @notice Sends the unreserved budget of the caller's expired or closed program back to it. Rewards
    ///         already reserved stay in the contract for their referrers.
    /// @dev Requirements: the caller is the sponsor (active or not: the budget is its money); the program has
    ///      expired or was closed; some budget is unreserved. Emits `BudgetReclaimed`.
    /// @param programId The program.
    /// @return amount What was sent back.
    function reclaimBudget(uint256 programId) external returns (uint256 amount) {
        Header memory header = _ownProgram(programId);
        if (!header.closed && block.timestamp < header.expiry) {
            revert ReferralProgramNotExpired(programId, header.expiry);
        }
        Budget storage budget = _budgets[programId];
        amount = budget.unreserved;
        if (amount == 0) revert ReferralNothingToReclaim(programId);
        budget.unreserved = 0;
        emit BudgetReclaimed(programId, header.sponsor, amount);
        Payments.send(_payouts[programId].asset, header.sponsor, amount);
    }

    /// @notice Voids every voucher the caller signed so far for program `programId`: new vouchers must carry
    ///         the returned nonce.
    /// @dev Requirements: the caller is the program's sponsor. Emits `VouchersRevoked`.
    /// @param programId The program.
    /// @return nonce The nonce new vouchers carry.
    function revokeVouchers(uint256 programId) external returns (uint256 nonce) {
        Header memory header = _ownProgram(programId);
        nonce = uint256(header.voucherNonce) + 1;
        _headers[programId].voucherNonce = nonce.toUint32();
        emit VouchersRevoked(programId, msg.sender, nonce);
    }

    /// @notice States what the caller, program `programId`'s sponsor, usually pays to win a customer without
    ///         referrals, in the program's reward asset: the baseline against which the program's cost per
    ///         conversion is measured (the saving the network brings). It may be stated again at any time;
    ///         the newest counts, the history is in the events.
    /// @dev Requirements: the caller is the program's sponsor. Emits `AcquisitionCostSet`.
    /// @param programId The program.
    /// @param cost The usual cost of winning a customer, in the reward asset's smallest unit (0: unstated).
    function setAcquisitionCost(uint256 programId, uint256 cost) external {
        _ownProgram(programId);
        _acquisitionCosts[programId] = cost;
        emit AcquisitionCostSet(programId, msg.sender, cost);
    }

    // -------------------------------------------------------------------------------------- referrals

    /// @notice Records a referral in program `programId` under the caller, its referrer.
    /// @dev Requirements: the program is open and its sponsor an active member; the caller is an active
    ///      member, not the sponsor, and has not recorded `commitment` in this program before. Another
    ///      referrer's record of the same commitment does not block it. Emits `ReferralRecorded`.
    /// @param programId The program.
    /// @param commitment `keccak256(abi.encode(keccak256(leadId), referrer, salt))`, made off chain.
    function recordReferral(uint256 programId, bytes32 commitment) external {
        Header memory header = _existingProgram(programId);
        _requireOpen(programId, header);
        if (msg.sender == header.sponsor) revert ReferralSelfReferral(programId, msg.sender);
        _requireActiveMember(msg.sender);
        _requireSponsorActive(programId, header);
        Referral storage entry = _referrals[programId][msg.sender][commitment];
        if (entry.status != ReferralStatus.None) revert ReferralDuplicate(programId, msg.sender, commitment);
        entry.status = ReferralStatus.Recorded;
        emit ReferralRecorded(programId, header.sponsor, msg.sender, commitment);
    }

    /// @notice Confirms, as the program's sponsor, that `referrer`'s referral `commitment` converted with
    ///         value `conversionValue`; reserves its reward from the budget.
    /// @dev Requirements: the caller is the sponsor and an active member; the program is open; the referral is
    ///      recorded and not yet confirmed; the reward fits the unreserved budget and the referrer's cap.
    ///      Emits `ConversionConfirmed`.
    /// @param programId The program.
    /// @param referrer The referrer who recorded the referral.
    /// @param commitment The referral.
    /// @param conversionValue The value of the conversion, in the reward asset's units.
    /// @return reward The reward reserved for the referrer.
    function confirmConversion(uint256 programId, address referrer, bytes32 commitment, uint256 conversionValue)
        external
        returns (uint256 reward)
    {
        Header memory header = _requireSponsor(programId);
        _requireOpen(programId, header);
        Referral storage entry = _referrals[programId][referrer][commitment];
        reward = _reserve(programId, header, referrer, commitment, entry, conversionValue, ReferralStatus.Confirmed);
        emit ConversionConfirmed(programId, header.sponsor, referrer, commitment, conversionValue, reward);
    }

    /// @notice Pays the caller the reward of its confirmed referral `commitment`.
    /// @dev Requirements: the caller recorded the referral and it is confirmed, not yet claimed. Works in every
    ///      state of the program, forever. Emits `RewardClaimed`.
    /// @param programId The program.
    /// @param commitment The referral.
    /// @return amount What was paid.
    function claimReward(uint256 programId, bytes32 commitment) external returns (uint256 amount) {
        Referral storage entry = _referrals[programId][msg.sender][commitment];
        Referral memory current = entry;
        if (current.status != ReferralStatus.Confirmed) {
            _revertStatus(programId, msg.sender, commitment, current.status);
        }
        entry.status = ReferralStatus.Claimed;
        amount = current.reward;
        emit RewardClaimed(programId, msg.sender, commitment, amount);
        Payments.send(current.asset, msg.sender, amount);
    }

    /// @notice Redeems a sponsor's voucher: confirms the conversion of the voucher's referral, reserves its
    ///         reward and pays it to the voucher's referrer, in one call. Anybody may submit it.
    /// @dev Requirements: the program is open and its sponsor an active member; the voucher is signed by the
    ///      sponsor, not expired, carries the program's current voucher nonce and states the reward the rule
    ///      gives; the referral is recorded by the voucher's referrer and not yet confirmed; the reward fits
    ///      the unreserved budget and the referrer's cap. Emits `VoucherRedeemed`.
    /// @param voucher The voucher the sponsor signed.
    /// @param v The recovery id of the sponsor's EIP-712 signature of it (27 or 28).
    /// @param r The signature's `r`.
    /// @param s The signature's `s`.
    /// @return amount What was paid.
    function redeemVoucher(Voucher calldata voucher, uint8 v, bytes32 r, bytes32 s) external returns (uint256 amount) {
        uint256 programId = voucher.programId;
        Header memory header = _existingProgram(programId);
        _requireOpen(programId, header);
        if (block.timestamp > voucher.deadline) revert ReferralVoucherExpired(voucher.deadline);
        if (voucher.nonce != header.voucherNonce) revert ReferralVoucherRevoked(voucher.nonce, header.voucherNonce);
        address signer = ECDSA.recover(voucherDigest(voucher), v, r, s);
        if (signer != header.sponsor) revert ReferralInvalidVoucherSigner(signer);
        _requireSponsorActive(programId, header);

        address referrer = voucher.referrer;
        Referral storage entry = _referrals[programId][referrer][voucher.commitment];
        amount = _reserve(
            programId, header, referrer, voucher.commitment, entry, voucher.conversionValue, ReferralStatus.Claimed
        );
        if (amount != voucher.reward) revert ReferralRewardMismatch(voucher.reward, amount);
        emit VoucherRedeemed(programId, header.sponsor, referrer, voucher.commitment, voucher.conversionValue, amount);
        Payments.send(entry.asset, referrer, amount);
    }

    // ------------------------------------------------------------------------------------------ views

    /// @notice Number of programs created so far (ids run from 1 to this number).
    function programCount() external view returns (uint256) {
        return _programCount;
    }

    /// @notice Program `programId`. Reverts with `ReferralUnknownProgram` for an id never created.
    /// @param programId The program.
    function program(uint256 programId) external view returns (ProgramView memory) {
        Header memory header = _existingProgram(programId);
        Payout memory payout = _payouts[programId];
        Budget memory budget = _budgets[programId];
        return ProgramView({
            sponsor: header.sponsor,
            asset: payout.asset,
            fixedReward: payout.fixedReward,
            rewardBps: header.rewardBps,
            cap: budget.perConversionCap,
            perReferrerCap: _perReferrerCaps[programId],
            expiry: header.expiry,
            closed: header.closed,
            budget: budget.unreserved,
            voucherNonce: header.voucherNonce
        });
    }

    /// @notice `referrer`'s referral `commitment` in program `programId` (status `None` if it never recorded
    ///         it).
    function referral(uint256 programId, address referrer, bytes32 commitment)
        external
        view
        returns (Referral memory)
    {
        return _referrals[programId][referrer][commitment];
    }

    /// @notice What `referrer` has earned (confirmed rewards) in program `programId`; counted only when the
    ///         program has a per-referrer cap.
    function earned(uint256 programId, address referrer) external view returns (uint256) {
        return _earned[programId][referrer];
    }

    /// @notice What program `programId`'s sponsor says it pays to win a customer without referrals (0: not
    ///         stated), in the reward asset.
    function acquisitionCost(uint256 programId) external view returns (uint256) {
        _existingProgram(programId);
        return _acquisitionCosts[programId];
    }

    /// @notice The nonce vouchers of program `programId` must carry now.
    function voucherNonce(uint256 programId) external view returns (uint256) {
        return _existingProgram(programId).voucherNonce;
    }

    /// @notice The reward program `programId` gives a conversion worth `conversionValue`:
    ///         `min(fixedReward + conversionValue * rewardBps / 10 000, cap)`.
    function rewardFor(uint256 programId, uint256 conversionValue) public view returns (uint256) {
        Header memory header = _existingProgram(programId);
        uint256 cap = _budgets[programId].perConversionCap;
        return _reward(_payouts[programId].fixedReward, header.rewardBps, cap, conversionValue);
    }

    /// @notice The EIP-712 digest the sponsor signs for `voucher`.
    function voucherDigest(Voucher calldata voucher) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    VOUCHER_TYPEHASH,
                    voucher.programId,
                    voucher.referrer,
                    voucher.commitment,
                    voucher.conversionValue,
                    voucher.reward,
                    voucher.deadline,
                    voucher.nonce
                )
            )
        );
    }

    // -------------------------------------------------------------------------------------- internals

    /// @dev Checks that the referral may convert, reserves its reward from the budget (and the referrer's cap)
    ///      and moves it to `status`: Confirmed (to be claimed) or Claimed (paid by the caller at once).
    function _reserve(
        uint256 programId,
        Header memory header,
        address referrer,
        bytes32 commitment,
        Referral storage entry,
        uint256 conversionValue,
        ReferralStatus status
    ) private returns (uint256 reward) {
        ReferralStatus current = entry.status;
        if (current != ReferralStatus.Recorded) _revertStatus(programId, referrer, commitment, current);
        Payout memory payout = _payouts[programId];
        Budget storage budget = _budgets[programId];
        Budget memory figures = budget;
        reward = _reward(payout.fixedReward, header.rewardBps, figures.perConversionCap, conversionValue);
        if (reward > figures.unreserved) revert ReferralBudgetExceeded(programId, reward, figures.unreserved);
        if (payout.referrerCapped) _chargeReferrerCap(programId, referrer, reward);
        budget.unreserved = uint128(figures.unreserved - reward);
        // The reward is at most the per-conversion cap, which fits in 88 bits (checked at creation).
        entry.status = status;
        entry.reward = uint88(reward);
        entry.asset = payout.asset;
    }

    function _chargeReferrerCap(uint256 programId, address referrer, uint256 reward) private {
        uint256 cap = _perReferrerCaps[programId];
        uint256 earnedSoFar = _earned[programId][referrer];
        if (earnedSoFar + reward > cap) revert ReferralReferrerCapExceeded(programId, referrer, earnedSoFar, reward, cap);
        _earned[programId][referrer] = earnedSoFar + reward;
    }

    function _reward(uint256 fixedReward, uint256 rewardBps, uint256 cap, uint256 conversionValue)
        private
        pure
        returns (uint256 reward)
    {
        // Past `cap * 10 000 / rewardBps` the variable part alone reaches the cap; testing first keeps the
        // product below 2^256 for any conversion value.
        if (rewardBps != 0 && conversionValue > cap * _BPS / rewardBps) return cap;
        reward = fixedReward + conversionValue * rewardBps / _BPS;
        if (reward > cap) reward = cap;
    }

    function _fund(uint256 programId, address asset, uint256 amount) private {
        Budget storage budget = _budgets[programId];
        uint256 unreserved = budget.unreserved;
        if (amount > type(uint128).max - unreserved) revert ReferralBudgetOverflow(programId, unreserved, amount);
        Payments.collect(asset, amount, msg.value);
        budget.unreserved = uint128(unreserved + amount);
        emit ProgramFunded(programId, msg.sender, amount);
    }

    function _revertStatus(uint256 programId, address referrer, bytes32 commitment, ReferralStatus status)
        private
        pure
    {
        if (status == ReferralStatus.None) revert ReferralNotFound(programId, referrer, commitment);
        revert ReferralWrongStatus(programId, referrer, commitment, status);
    }

    function _existingProgram(uint256 programId) private view returns (Header memory header) {
        header = _headers[programId];
        if (header.sponsor == address(0)) revert ReferralUnknownProgram(programId);
    }

    /// @dev The caller's program `programId`: what a sponsor reclaims and revokes, active member or not.
    function _ownProgram(uint256 programId) private view returns (Header memory header) {
        header = _existingProgram(programId);
        if (header.sponsor != msg.sender) revert ReferralNotSponsor(programId, msg.sender);
    }

    /// @dev The sponsor may only manage its program while it is an active member.
    function _requireSponsor(uint256 programId) private view returns (Header memory header) {
        header = _ownProgram(programId);
        _requireSponsorActive(programId, header);
    }

    function _requireSponsorActive(uint256 programId, Header memory header) private view {
        if (!consortium.isActiveMember(header.sponsor)) revert ReferralSponsorInactive(programId, header.sponsor);
    }

    function _requireOpen(uint256 programId, Header memory header) private view {
        if (header.closed || block.timestamp >= header.expiry) {
            revert ReferralProgramExpired(programId, header.expiry);
        }
    }

    function _requireActiveMember(address account) private view {
        if (!consortium.isActiveMember(account)) revert ReferralNotActiveMember(account);
    }
}
