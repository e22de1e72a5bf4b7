// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Agreements} from "../../contracts/Agreements.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {PartnerRatings} from "../../contracts/PartnerRatings.sol";
import {ReferralRewards} from "../../contracts/ReferralRewards.sol";
import {MockERC20} from "../../contracts/test/MockERC20.sol";

import {Handler, memberKeys} from "./Handler.sol";
import {VM_ADDRESS, Vm} from "./Vm.sol";

/// @title Invariants
/// @notice The deep invariant campaign over Consortium, Agreements, ReferralRewards and PartnerRatings, run by Foundry's
///         forge (`make test` a bounded campaign, `make fuzz` a deep one and the planted mutants): after every
///         call of the `Handler` the invariants below must hold.
contract Invariants {
    address private constant _NATIVE = address(0);

    Handler public handler;
    Consortium public consortium;
    Agreements public agreements;
    ReferralRewards public referrals;
    PartnerRatings public ratings;
    MockERC20 public token;

    function setUp() public {
        token = new MockERC20("Coop Dollar", "cUSD");
        uint256[] memory keys = memberKeys();
        Consortium.Profile[] memory founders = new Consortium.Profile[](keys.length);
        for (uint256 i = 0; i < keys.length; ++i) {
            founders[i] = Consortium.Profile(Vm(VM_ADDRESS).addr(keys[i]), "Member", "retail", "centre");
        }
        address[] memory assets = new address[](1);
        assets[0] = address(token);
        consortium = new Consortium(founders, assets, 5_001, 7 days);
        agreements = new Agreements(consortium);
        referrals = new ReferralRewards(consortium);
        ratings = new PartnerRatings(consortium, agreements);
        handler = new Handler(consortium, agreements, referrals, ratings, token);
    }

    /// @notice Foundry fuzzes the calls of these contracts only.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Per asset, Agreements holds exactly what it owes: held deposits, plus what it credited to parties
    ///         and they have not withdrawn, plus the rounding dust assigned to nobody yet; and that equals what
    ///         went in minus what came out. Per agreement, its credits and dust add up to what it credited.
    function invariant_agreementsHoldWhatTheyOwe() public view {
        uint256 owedNative = 0;
        uint256 owedToken = 0;
        for (uint256 id = 1; id <= agreements.agreementCount(); ++id) {
            Agreements.Summary memory summary = agreements.agreement(id);
            uint256 dust = agreements.unassigned(id);
            uint256 credited = dust;
            uint256 owed = summary.held + dust;
            address[] memory parties = agreements.partiesOf(id);
            for (uint256 i = 0; i < parties.length; ++i) {
                uint256 credit = agreements.creditedTo(id, parties[i]);
                uint256 withdrawn = agreements.withdrawnBy(id, parties[i]);
                require(withdrawn <= credit, "a party withdrew more than it was credited");
                credited += credit;
                owed += credit - withdrawn;
            }
            require(dust < parties.length, "dust of a whole unit per party or more");
            require(credited == summary.totalCredited, "credits and dust differ from what was credited");
            if (summary.asset == _NATIVE) owedNative += owed;
            else owedToken += owed;
        }
        _requireBooks(
            address(agreements),
            [owedNative, owedToken],
            [handler.agreementsIn(_NATIVE), handler.agreementsIn(address(token))],
            [handler.agreementsOut(_NATIVE), handler.agreementsOut(address(token))]
        );
    }

    /// @notice Per asset, ReferralRewards holds exactly what it owes: every program's unreserved budget plus
    ///         the confirmed rewards not yet claimed; and that equals what went in minus what came out.
    function invariant_referralsHoldWhatTheyOwe() public view {
        uint256 owedNative = 0;
        uint256 owedToken = 0;
        for (uint256 programId = 1; programId <= referrals.programCount(); ++programId) {
            ReferralRewards.ProgramView memory program = referrals.program(programId);
            if (program.asset == _NATIVE) owedNative += program.budget;
            else owedToken += program.budget;
        }
        for (uint256 i = 0; i < handler.recordedCount(); ++i) {
            Handler.Recorded memory entry = handler.recorded(i);
            ReferralRewards.Referral memory referral =
                referrals.referral(entry.programId, entry.referrer, entry.commitment);
            if (referral.status != ReferralRewards.ReferralStatus.Confirmed) continue;
            if (referral.asset == _NATIVE) owedNative += referral.reward;
            else owedToken += referral.reward;
        }
        _requireBooks(
            address(referrals),
            [owedNative, owedToken],
            [handler.referralsIn(_NATIVE), handler.referralsIn(address(token))],
            [handler.referralsOut(_NATIVE), handler.referralsOut(address(token))]
        );
    }

    /// @notice Nothing is paid twice: no referral's reward twice, and no party more than its own withdrawals
    ///         as the contract books them.
    function invariant_nothingPaidTwice() public view {
        require(!handler.paidTwice(), "a referral reward was paid twice");
        for (uint256 id = 1; id <= agreements.agreementCount(); ++id) {
            address[] memory parties = agreements.partiesOf(id);
            for (uint256 i = 0; i < parties.length; ++i) {
                require(
                    handler.paidTo(id, parties[i]) == agreements.withdrawnBy(id, parties[i]),
                    "a party was paid other than what the agreement booked as withdrawn"
                );
            }
        }
    }

    /// @notice Caps hold: no reward above its program's per-conversion cap, no referrer above its
    ///         per-referrer cap.
    function invariant_capsHold() public view {
        for (uint256 i = 0; i < handler.recordedCount(); ++i) {
            Handler.Recorded memory entry = handler.recorded(i);
            ReferralRewards.ProgramView memory program = referrals.program(entry.programId);
            ReferralRewards.Referral memory referral =
                referrals.referral(entry.programId, entry.referrer, entry.commitment);
            require(referral.reward <= program.cap, "a reward above its program's cap");
            if (program.perReferrerCap != 0) {
                require(
                    referrals.earned(entry.programId, entry.referrer) <= program.perReferrerCap,
                    "a referrer earned more than its cap"
                );
            }
        }
    }

    /// @notice A terminated agreement stays terminated, and nothing can be credited to it again.
    function invariant_terminatedStaysTerminated() public view {
        for (uint256 i = 0; i < handler.terminatedCount(); ++i) {
            uint256 id = handler.terminated(i);
            require(agreements.statusOf(id) == Agreements.Status.Terminated, "a terminated agreement came back");
            require(agreements.agreement(id).held == 0, "a terminated agreement holds deposits");
        }
    }

    /// @dev Per asset (native coin, token), `holder`'s balance is what it owes, and what went in minus what
    ///      came out.
    function _requireBooks(address holder, uint256[2] memory owed, uint256[2] memory paidIn, uint256[2] memory paidOut)
        private
        view
    {
        uint256[2] memory balances = [holder.balance, token.balanceOf(holder)];
        for (uint256 i = 0; i < 2; ++i) {
            require(balances[i] == owed[i], "a contract's balance differs from what it owes");
            require(balances[i] == paidIn[i] - paidOut[i], "a contract's balance differs from in - out");
        }
    }

    /// @notice The registry's count of active members is the number of members whose status is active.
    function invariant_activeMembersCounted() public view {
        uint256 active = 0;
        for (uint256 i = 0; i < consortium.memberCount(); ++i) {
            if (consortium.member(consortium.memberAt(i)).status == IConsortium.MemberStatus.Active) active += 1;
        }
        require(active == consortium.activeMemberCount(), "the active member count drifted");
    }

    /// @notice Every rating accepted kept the rules: scores 1..5, no self rating, an active member rating a
    ///         partner of an agreement version that took effect, in force long enough; and every signed rating
    ///         used its rater's next nonce, once.
    function invariant_ratingsKeepTheirRules() public view {
        require(!handler.ratingRuleBroken(), "a rating that breaks a rule was accepted");
    }

    /// @notice A rater's nonce counts exactly the signed ratings submitted for it: none replayed, none lost.
    function invariant_ratingNoncesCountSignedRatings() public view {
        uint256[] memory keys = memberKeys();
        for (uint256 i = 0; i < keys.length; ++i) {
            address member = Vm(VM_ADDRESS).addr(keys[i]);
            require(ratings.nonces(member) == handler.signedRatings(member), "a rating nonce drifted");
        }
    }
}
