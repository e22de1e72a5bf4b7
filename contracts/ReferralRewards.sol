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
///      - After the expiry (or an early close by the sponsor) no referral, confirmation or voucher is accepted;
///        the sponsor reclaims the unreserved budget; confirmed rewards stay claimable forever.
///      - A referral is keyed by its commitment `keccak256(abi.encode(keccak256(leadId), salt))`: the same
///        commitment is recorded once per program (first come wins).
///      - Vouchers: the sponsor signs (EIP-712) `ConversionVoucher(programId, commitment, conversionValue,
///        reward, deadline, nonce)`; the referrer redeems it: confirm and pay in one call, the sponsor pays no
///        gas. A voucher is bound to this chain and contract (domain), to one program and one referral (a
///        referral converts once, so a voucher cannot be replayed), expires at its deadline, and carries the
///        sponsor's current voucher nonce: `revokeVouchers` raises it and voids every outstanding voucher.
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
    /// @param asset Reward asset: address(0) for the native coin, else an ERC-20 contract.
    /// @param fixedReward Fixed part of the reward per conversion.
    /// @param rewardBps Variable part, in basis points (0..10 000) of the conversion value.
    /// @param cap Most a single conversion can earn (> 0).
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

    /// @notice A program as `program` returns it.
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
        uint256 reservedTotal;
    }

    /// @notice A sponsor's signed confirmation of one conversion.
    struct Voucher {
        uint256 programId;
        bytes32 commitment;
        uint256 conversionValue;
        uint256 reward;
        uint256 deadline;
        uint256 nonce;
    }

    /// @dev Slot 1: what recording and confirming check.
    struct Header {
        address sponsor;
        uint40 expiry;
        uint16 rewardBps;
        bool closed;
    }

    /// @dev Slot 2: what paying needs, and the fixed part of the rule.
    struct Payout {
        address asset;
        uint96 fixedReward;
    }

    /// @dev Slot 3: the money. `reservedTotal` counts every reward ever reserved (claimed or not).
    struct Budget {
        uint128 unreserved;
        uint128 reservedTotal;
    }

    /// @dev Slot 4: the caps.
    struct Caps {
        uint128 perConversion;
        uint128 perReferrer;
    }

    /// @dev One slot per referral.
    struct Referral {
        address referrer;
        ReferralStatus status;
        uint88 reward;
    }

    uint256 private constant _BPS = 10_000;
    /// @notice EIP-712 type of a conversion voucher.
    bytes32 public constant VOUCHER_TYPEHASH = keccak256(
        "ConversionVoucher(uint256 programId,bytes32 commitment,uint256 conversionValue,uint256 reward,uint256 deadline,uint256 nonce)"
    );

    /// @notice The member registry: sponsors and referrers must be active members.
    IConsortium public immutable consortium;

    uint256 private _programCount;
    mapping(uint256 programId => Header) private _headers;
    mapping(uint256 programId => Payout) private _payouts;
    mapping(uint256 programId => Budget) private _budgets;
    mapping(uint256 programId => Caps) private _caps;
    mapping(uint256 programId => mapping(bytes32 commitment => Referral)) private _referrals;
    mapping(uint256 programId => mapping(address referrer => uint256)) private _earned;
    mapping(address sponsor => uint256) private _voucherNonces;

    /// @notice `account` must be an active consortium member to do this.
    error ReferralNotActiveMember(address account);
    /// @notice No program has id `programId`.
    error ReferralUnknownProgram(uint256 programId);
    /// @notice Only the sponsor of program `programId` may do this; `account` is not it.
    error ReferralNotSponsor(uint256 programId, address account);
    /// @notice A sponsor cannot refer leads to its own program.
    error ReferralSelfReferral(uint256 programId, address account);
    /// @notice The reward rule is invalid: cap must be 1..2^88-1, rewardBps at most 10 000, and a reward possible.
    error ReferralInvalidRule();
    /// @notice The expiry `expiry` is not in the future.
    error ReferralInvalidExpiry(uint256 expiry);
    /// @notice `asset` is neither address(0) (native coin) nor a contract.
    error ReferralInvalidAsset(address asset);
    /// @notice An amount must be positive.
    error ReferralZeroAmount();
    /// @notice Program `programId` stopped taking referrals and confirmations at `expiry`.
    error ReferralProgramExpired(uint256 programId, uint256 expiry);
    /// @notice Program `programId` runs until `expiry`; its budget cannot be reclaimed before.
    error ReferralProgramNotExpired(uint256 programId, uint256 expiry);
    /// @notice Commitment `commitment` is already recorded in program `programId`.
    error ReferralDuplicate(uint256 programId, bytes32 commitment);
    /// @notice The referral is `status`, which does not allow this.
    error ReferralWrongStatus(uint256 programId, bytes32 commitment, ReferralStatus status);
    /// @notice `account` is not the referrer of this referral.
    error ReferralNotReferrer(uint256 programId, bytes32 commitment, address account);
    /// @notice A reward of `reward` exceeds the unreserved budget `budget` of program `programId`.
    error ReferralBudgetExceeded(uint256 programId, uint256 reward, uint256 budget);
    /// @notice `referrer` has earned `earned`; `reward` more would pass its cap `cap`.
    error ReferralReferrerCapExceeded(uint256 programId, address referrer, uint256 earned, uint256 reward, uint256 cap);
    /// @notice The voucher was not signed by the program's sponsor (it recovers to `signer`).
    error ReferralInvalidVoucherSigner(address signer);
    /// @notice The voucher expired at `deadline`.
    error ReferralVoucherExpired(uint256 deadline);
    /// @notice The voucher carries nonce `nonce`; the sponsor's vouchers now need `current`.
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
    /// @notice `sponsor` closed program `programId` before its expiry.
    event ProgramClosed(uint256 indexed programId, address indexed sponsor);
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
        uint256 reward,
        bool viaVoucher
    );
    /// @notice `referrer` was paid `amount`, the reward of referral `commitment` in program `programId`.
    event RewardClaimed(uint256 indexed programId, address indexed referrer, bytes32 indexed commitment, uint256 amount);
    /// @notice `sponsor` took back `amount` of unreserved budget from program `programId`.
    event BudgetReclaimed(uint256 indexed programId, address indexed sponsor, uint256 amount);
    /// @notice `sponsor` voided its outstanding vouchers; new ones carry `nonce`.
    event VouchersRevoked(address indexed sponsor, uint256 nonce);

    /// @param consortium_ The member registry.
    constructor(IConsortium consortium_) EIP712("coopledger ReferralRewards", "1") {
        consortium = consortium_;
    }

    // --------------------------------------------------------------------------------------- programs

    /// @notice Creates a program sponsored by the caller (an active member) and funds it with `budget`.
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
        if (terms.cap == 0 || terms.cap > type(uint88).max || terms.rewardBps > _BPS) revert ReferralInvalidRule();
        if (terms.fixedReward == 0 && terms.rewardBps == 0) revert ReferralInvalidRule();
        if (terms.expiry <= block.timestamp) revert ReferralInvalidExpiry(terms.expiry);
        if (terms.asset != address(0) && terms.asset.code.length == 0) revert ReferralInvalidAsset(terms.asset);
        if (budget == 0) revert ReferralZeroAmount();

        programId = ++_programCount;
        _headers[programId] = Header({
            sponsor: msg.sender,
            expiry: uint256(terms.expiry).toUint40(),
            rewardBps: terms.rewardBps,
            closed: false
        });
        _payouts[programId] = Payout({asset: terms.asset, fixedReward: terms.fixedReward});
        _caps[programId] = Caps({perConversion: terms.cap, perReferrer: terms.perReferrerCap});
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
    /// @param programId The program.
    /// @param amount The amount added; for the native coin, the value sent.
    function fund(uint256 programId, uint256 amount) external payable nonReentrant {
        Header memory header = _requireSponsor(programId);
        _requireOpen(programId, header);
        if (amount == 0) revert ReferralZeroAmount();
        _fund(programId, _payouts[programId].asset, amount);
    }

    /// @notice Closes the caller's program `programId` now: no more referrals or confirmations; the unreserved
    ///         budget becomes reclaimable.
    /// @param programId The program.
    function closeProgram(uint256 programId) external {
        Header memory header = _requireSponsor(programId);
        _requireOpen(programId, header);
        _headers[programId].closed = true;
        emit ProgramClosed(programId, msg.sender);
    }

    /// @notice Sends the unreserved budget of the caller's expired or closed program back to it. Rewards
    ///         already reserved stay in the contract for their referrers.
    /// @param programId The program.
    /// @return amount What was sent back.
    function reclaimBudget(uint256 programId) external nonReentrant returns (uint256 amount) {
        Header memory header = _requireSponsor(programId);
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

    /// @notice Voids every voucher the caller signed so far: new vouchers must carry the returned nonce.
    /// @return nonce The nonce new vouchers carry.
    function revokeVouchers() external returns (uint256 nonce) {
        nonce = ++_voucherNonces[msg.sender];
        emit VouchersRevoked(msg.sender, nonce);
    }

    // -------------------------------------------------------------------------------------- referrals

    /// @notice Records a referral in program `programId` as the calling referrer (an active member, not the
    ///         sponsor). First come wins: a commitment is recorded once per program.
    /// @param programId The program.
    /// @param commitment `keccak256(abi.encode(keccak256(leadId), salt))`, made off chain.
    function recordReferral(uint256 programId, bytes32 commitment) external {
        Header memory header = _headers[programId];
        if (header.sponsor == address(0)) revert ReferralUnknownProgram(programId);
        _requireOpen(programId, header);
        if (msg.sender == header.sponsor) revert ReferralSelfReferral(programId, msg.sender);
        _requireActiveMember(msg.sender);
        Referral storage entry = _referrals[programId][commitment];
        if (entry.status != ReferralStatus.None) revert ReferralDuplicate(programId, commitment);
        entry.referrer = msg.sender;
        entry.status = ReferralStatus.Recorded;
        emit ReferralRecorded(programId, header.sponsor, msg.sender, commitment);
    }

    /// @notice Confirms, as the program's sponsor, that referral `commitment` converted with value
    ///         `conversionValue`; reserves its reward from the budget.
    /// @param programId The program.
    /// @param commitment The referral.
    /// @param conversionValue The value of the conversion, in the reward asset's units.
    /// @return reward The reward reserved for the referrer.
    function confirmConversion(uint256 programId, bytes32 commitment, uint256 conversionValue)
        external
        returns (uint256 reward)
    {
        Header memory header = _requireSponsor(programId);
        _requireOpen(programId, header);
        Referral storage entry = _referrals[programId][commitment];
        reward = _confirm(programId, header, commitment, entry, conversionValue, false);
    }

    /// @notice Pays the caller the reward of its confirmed referral `commitment`.
    /// @param programId The program.
    /// @param commitment The referral.
    /// @return amount What was paid.
    function claimReward(uint256 programId, bytes32 commitment) external nonReentrant returns (uint256 amount) {
        Referral storage referral_ = _referrals[programId][commitment];
        amount = _settle(programId, commitment, referral_);
        Payments.send(_payouts[programId].asset, referral_.referrer, amount);
    }

    /// @notice Redeems a sponsor's voucher for the caller's referral: confirms the conversion, reserves and
    ///         pays the reward in one call.
    /// @param voucher The voucher the sponsor signed.
    /// @param v The recovery id of the sponsor's EIP-712 signature of it (27 or 28).
    /// @param r The signature's `r`.
    /// @param s The signature's `s`.
    /// @return amount What was paid.
    function redeemVoucher(Voucher calldata voucher, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        returns (uint256 amount)
    {
        uint256 programId = voucher.programId;
        Header memory header = _headers[programId];
        if (header.sponsor == address(0)) revert ReferralUnknownProgram(programId);
        _requireOpen(programId, header);
        if (block.timestamp > voucher.deadline) revert ReferralVoucherExpired(voucher.deadline);
        uint256 currentNonce = _voucherNonces[header.sponsor];
        if (voucher.nonce != currentNonce) revert ReferralVoucherRevoked(voucher.nonce, currentNonce);
        address signer = ECDSA.recover(voucherDigest(voucher), v, r, s);
        if (signer != header.sponsor) revert ReferralInvalidVoucherSigner(signer);

        Referral storage referral_ = _referrals[programId][voucher.commitment];
        amount = _confirm(programId, header, voucher.commitment, referral_, voucher.conversionValue, true);
        if (amount != voucher.reward) revert ReferralRewardMismatch(voucher.reward, amount);
        _settle(programId, voucher.commitment, referral_);
        Payments.send(_payouts[programId].asset, referral_.referrer, amount);
    }

    // ------------------------------------------------------------------------------------------ views

    /// @notice Number of programs created so far (ids run from 1 to this number).
    function programCount() external view returns (uint256) {
        return _programCount;
    }

    /// @notice Program `programId`.
    /// @param programId The program.
    function program(uint256 programId) external view returns (ProgramView memory) {
        Header memory header = _headers[programId];
        if (header.sponsor == address(0)) revert ReferralUnknownProgram(programId);
        Payout memory payout = _payouts[programId];
        Budget memory budget = _budgets[programId];
        Caps memory caps = _caps[programId];
        return ProgramView({
            sponsor: header.sponsor,
            asset: payout.asset,
            fixedReward: payout.fixedReward,
            rewardBps: header.rewardBps,
            cap: caps.perConversion,
            perReferrerCap: caps.perReferrer,
            expiry: header.expiry,
            closed: header.closed,
            budget: budget.unreserved,
            reservedTotal: budget.reservedTotal
        });
    }

    /// @notice Referral `commitment` of program `programId` (status `None` if never recorded).
    function referral(uint256 programId, bytes32 commitment) external view returns (Referral memory) {
        return _referrals[programId][commitment];
    }

    /// @notice What `referrer` has earned (confirmed rewards) in program `programId`.
    function earned(uint256 programId, address referrer) external view returns (uint256) {
        return _earned[programId][referrer];
    }

    /// @notice The nonce `sponsor`'s vouchers must carry now.
    function voucherNonce(address sponsor) external view returns (uint256) {
        return _voucherNonces[sponsor];
    }

    /// @notice The reward program `programId` gives a conversion worth `conversionValue`:
    ///         `min(fixedReward + conversionValue * rewardBps / 10 000, cap)`.
    function rewardFor(uint256 programId, uint256 conversionValue) public view returns (uint256) {
        Header memory header = _headers[programId];
        if (header.sponsor == address(0)) revert ReferralUnknownProgram(programId);
        return _reward(programId, header, conversionValue);
    }

    /// @notice The EIP-712 digest the sponsor signs for `voucher`.
    function voucherDigest(Voucher calldata voucher) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    VOUCHER_TYPEHASH,
                    voucher.programId,
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

    function _confirm(
        uint256 programId,
        Header memory header,
        bytes32 commitment,
        Referral storage referral_,
        uint256 conversionValue,
        bool viaVoucher
    ) private returns (uint256 reward) {
        Referral memory current = referral_;
        if (current.status != ReferralStatus.Recorded) {
            revert ReferralWrongStatus(programId, commitment, current.status);
        }
        reward = _reward(programId, header, conversionValue);
        Budget storage budget = _budgets[programId];
        uint256 unreserved = budget.unreserved;
        if (reward > unreserved) revert ReferralBudgetExceeded(programId, reward, unreserved);
        uint256 perReferrerCap = _caps[programId].perReferrer;
        if (perReferrerCap != 0) {
            uint256 earnedSoFar = _earned[programId][current.referrer];
            if (earnedSoFar + reward > perReferrerCap) {
                revert ReferralReferrerCapExceeded(programId, current.referrer, earnedSoFar, reward, perReferrerCap);
            }
            _earned[programId][current.referrer] = earnedSoFar + reward;
        }
        budget.unreserved = uint128(unreserved - reward);
        budget.reservedTotal += uint128(reward);
        referral_.status = ReferralStatus.Confirmed;
        referral_.reward = uint88(reward);
        emit ConversionConfirmed(
            programId, header.sponsor, current.referrer, commitment, conversionValue, reward, viaVoucher
        );
    }

    /// @dev Marks the caller's confirmed referral claimed and returns its reward; the caller pays it out.
    function _settle(uint256 programId, bytes32 commitment, Referral storage referral_)
        private
        returns (uint256 amount)
    {
        Referral memory current = referral_;
        if (current.referrer != msg.sender) revert ReferralNotReferrer(programId, commitment, msg.sender);
        if (current.status != ReferralStatus.Confirmed) {
            revert ReferralWrongStatus(programId, commitment, current.status);
        }
        referral_.status = ReferralStatus.Claimed;
        amount = current.reward;
        emit RewardClaimed(programId, msg.sender, commitment, amount);
    }

    /// @dev The reward is at most `cap`, which fits in 88 bits (checked at creation), so the casts above hold.
    function _reward(uint256 programId, Header memory header, uint256 conversionValue)
        private
        view
        returns (uint256 reward)
    {
        reward = _payouts[programId].fixedReward + conversionValue * header.rewardBps / _BPS;
        uint256 cap = _caps[programId].perConversion;
        if (reward > cap) reward = cap;
    }

    function _fund(uint256 programId, address asset, uint256 amount) private {
        Payments.collect(asset, amount, msg.value);
        Budget storage budget = _budgets[programId];
        budget.unreserved = (uint256(budget.unreserved) + amount).toUint128();
        emit ProgramFunded(programId, msg.sender, amount);
    }

    function _requireSponsor(uint256 programId) private view returns (Header memory header) {
        header = _headers[programId];
        if (header.sponsor == address(0)) revert ReferralUnknownProgram(programId);
        if (header.sponsor != msg.sender) revert ReferralNotSponsor(programId, msg.sender);
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
