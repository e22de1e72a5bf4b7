// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IRatingStanding} from "./interfaces/IRatingStanding.sol";

/// @title PartnerRatings
/// @notice Parties of an agreement rate each other: a score from 1 to 5 and, optionally, the digest of a written
///         comment (the text itself never goes on chain). The ledger's satisfaction figures are read from these
///         ratings.
/// @dev Rules of a rating of `ratee` by `rater` under version `version` of agreement `agreementId`:
///      - the rater is an active member (a member who left, or is suspended, cannot rate);
///      - both are parties of the agreement, and they are not the same account (no self rating);
///      - the version took effect (every party signed it): a proposal, or an amendment still awaiting
///        signatures or replaced before it took effect, cannot be rated;
///      - the agreement has been in force a while: `MIN_TIME_IN_FORCE` has passed since its start time. Ending
///        (expiry or termination) does not close rating: a partnership is often judged best once it is over;
///      - the score is 1, 2, 3, 4 or 5.
///      Each rater rates each other party once per version, and may rate again later: the newest rating of a
///      (agreement, version, rater, ratee) counts, in chain order. The contract keeps no rating in storage: each
///      is an event (`PartnerRated`), the history is the events, and readers take the newest. That keeps a
///      rating under 50 000 gas.
///
///      Rating without gas: the rater signs (EIP-712) `PartnerRating(rater, agreementId, version, ratee, score,
///      commentHash, nonce, deadline)` and anybody submits it with `rateWithSignature`. The signature is bound
///      to this chain and contract (domain), used once (the rater's `nonces`, consumed in order: a replay
///      reverts) and void after its deadline. The rules are checked when it is submitted, not when it was
///      signed.
contract PartnerRatings is EIP712, Nonces {
    /// @notice A rating signed by its rater, for anybody to submit.
    /// @param rater The party rating; the signer.
    /// @param agreementId The agreement.
    /// @param version The version of the agreement rated.
    /// @param ratee The party rated.
    /// @param score 1 (poor) to 5 (excellent).
    /// @param commentHash keccak256 of a written comment, or zero for none.
    /// @param nonce The rater's current nonce (`nonces(rater)`).
    /// @param deadline Last second at which the signature may be submitted.
    struct SignedRating {
        address rater;
        uint256 agreementId;
        uint32 version;
        address ratee;
        uint8 score;
        bytes32 commentHash;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice The lowest score.
    uint8 public constant MIN_SCORE = 1;
    /// @notice The highest score.
    uint8 public constant MAX_SCORE = 5;
    /// @notice How long an agreement must have been in force, counted from its start time, before its parties
    ///         rate each other.
    uint256 public constant MIN_TIME_IN_FORCE = 14 days;
    /// @notice EIP-712 type of a signed rating.
    bytes32 public constant RATING_TYPEHASH = keccak256(
        "PartnerRating(address rater,uint256 agreementId,uint32 version,address ratee,uint8 score,bytes32 commentHash,uint256 nonce,uint256 deadline)"
    );

    /// @notice The member registry: raters must be active members.
    IConsortium public immutable consortium;
    /// @notice The agreements rated.
    IRatingStanding public immutable agreements;

    /// @notice `account` is not an active member, so it cannot rate.
    error RatingNotActiveMember(address account);
    /// @notice `account` is not a party of agreement `agreementId` (or there is no such agreement).
    error RatingNotParty(uint256 agreementId, address account);
    /// @notice A party cannot rate itself.
    error RatingSelfRating(address account);
    /// @notice `score` is outside 1..5.
    error RatingInvalidScore(uint8 score);
    /// @notice Version `version` of agreement `agreementId` never took effect, so it cannot be rated.
    error RatingVersionNotInForce(uint256 agreementId, uint32 version);
    /// @notice Agreement `agreementId` has not been in force long enough: its parties may rate from `opensAt`.
    error RatingTooEarly(uint256 agreementId, uint256 opensAt);
    /// @notice The signed rating's deadline `deadline` has passed.
    error RatingSignatureExpired(uint256 deadline);
    /// @notice The signature was made by `signer`, not by the rating's rater `rater`.
    error RatingWrongSigner(address rater, address signer);

    /// @notice `rater` rated `ratee`, its partner in version `version` of agreement `agreementId`, `score` out of
    ///         5, with comment digest `commentHash` (zero for none). It replaces any earlier rating of `ratee` by
    ///         `rater` under that version.
    event PartnerRated(
        uint256 indexed agreementId,
        address indexed rater,
        address indexed ratee,
        uint32 version,
        uint8 score,
        bytes32 commentHash
    );

    /// @param consortium_ The member registry.
    /// @param agreements_ The agreements contract whose parties rate each other.
    constructor(IConsortium consortium_, IRatingStanding agreements_) EIP712("coopledger PartnerRatings", "1") {
        consortium = consortium_;
        agreements = agreements_;
    }

    /// @notice Rates `ratee`, the caller's partner in version `version` of agreement `agreementId`.
    /// @dev Requirements: see the contract's rules. Emits `PartnerRated`.
    /// @param agreementId The agreement.
    /// @param version The version rated (one that took effect).
    /// @param ratee The party rated.
    /// @param score 1 (poor) to 5 (excellent).
    /// @param commentHash keccak256 of a written comment, or zero for none.
    function rate(uint256 agreementId, uint32 version, address ratee, uint8 score, bytes32 commentHash) external {
        _rate(msg.sender, agreementId, version, ratee, score, commentHash);
    }

    /// @notice Submits a rating its rater signed: anybody may, and pays the gas.
    /// @dev Requirements: the deadline has not passed; the signature is the rater's, over this rating with the
    ///      rater's current nonce (which it consumes); and the rules of `rate`, for the rater. Emits
    ///      `PartnerRated`.
    /// @param rating The signed rating.
    /// @param signature The rater's 65-byte ECDSA signature of `ratingDigest(rating)`.
    function rateWithSignature(SignedRating calldata rating, bytes calldata signature) external {
        if (block.timestamp > rating.deadline) revert RatingSignatureExpired(rating.deadline);
        address signer = ECDSA.recover(ratingDigest(rating), signature);
        if (signer != rating.rater) revert RatingWrongSigner(rating.rater, signer);
        _useCheckedNonce(rating.rater, rating.nonce);
        _rate(rating.rater, rating.agreementId, rating.version, rating.ratee, rating.score, rating.commentHash);
    }

    /// @notice The EIP-712 digest the rater signs for `rating`.
    /// @param rating The rating.
    function ratingDigest(SignedRating calldata rating) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    RATING_TYPEHASH,
                    rating.rater,
                    rating.agreementId,
                    rating.version,
                    rating.ratee,
                    rating.score,
                    rating.commentHash,
                    rating.nonce,
                    rating.deadline
                )
            )
        );
    }

    /// @notice The first second at which the parties of an agreement starting at `startTime` may rate each other.
    /// @param startTime The agreement's start time.
    function ratingOpensAt(uint256 startTime) public pure returns (uint256) {
        return startTime + MIN_TIME_IN_FORCE;
    }

    function _rate(
        address rater,
        uint256 agreementId,
        uint32 version,
        address ratee,
        uint8 score,
        bytes32 commentHash
    ) private {
        if (score < MIN_SCORE || score > MAX_SCORE) revert RatingInvalidScore(score);
        if (rater == ratee) revert RatingSelfRating(rater);
        if (!consortium.isActiveMember(rater)) revert RatingNotActiveMember(rater);
        (uint64 startTime, bool versionTookEffect, bool raterIsParty, bool rateeIsParty) =
            agreements.ratingStanding(agreementId, version, rater, ratee);
        if (!raterIsParty) revert RatingNotParty(agreementId, rater);
        if (!rateeIsParty) revert RatingNotParty(agreementId, ratee);
        if (!versionTookEffect) revert RatingVersionNotInForce(agreementId, version);
        uint256 opensAt = ratingOpensAt(startTime);
        if (block.timestamp < opensAt) revert RatingTooEarly(agreementId, opensAt);
        emit PartnerRated(agreementId, rater, ratee, version, score, commentHash);
    }
}
