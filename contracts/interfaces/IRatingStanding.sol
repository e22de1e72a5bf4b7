// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRatingStanding
/// @notice What `PartnerRatings` asks the agreements contract before it accepts a rating.
interface IRatingStanding {
    /// @notice What a rating of party `ratee` by party `rater` under version `version` of agreement `id` depends
    ///         on: the agreement's start time; whether `version` took effect (it is, or was, the version in
    ///         force); and whether each account is a party. All false and zero for an unknown agreement.
    /// @param id The agreement.
    /// @param version The version rated.
    /// @param rater The account rating.
    /// @param ratee The account rated.
    function ratingStanding(uint256 id, uint32 version, address rater, address ratee)
        external
        view
        returns (uint64 startTime, bool versionTookEffect, bool raterIsParty, bool rateeIsParty);
}
