//! Anti-abuse rules for residents' reviews and tip-offs. A flood of reviews must not move a code by
//! itself: rate limits per client, duplicate-text suppression and burst detection, whose reviews are
//! kept but held (not counted) until a regulator clears them.

use sha2::{Digest, Sha256};

use super::vocabulary::text_enum;
use super::Invalid;

text_enum!(
    /// Whether a review counts towards the rating.
    pub enum ReviewStatus("review status") {
        Counted => "counted",
        /// Kept but not counted until a regulator clears it.
        Held => "held",
        /// A regulator rejected it: kept in history, never counted.
        Rejected => "rejected",
    }
);

text_enum!(
    /// A regulator's decision on held reviews.
    pub enum ReviewDecision("decision") {
        /// The review counts from now on and is never held again by a burst.
        Clear => "clear",
        /// The review stays in history and never counts.
        Reject => "reject",
    }
);

text_enum!(
    /// Why a review is held.
    pub enum HoldReason("hold reason") {
        /// The same text on the same shop recently.
        Duplicate => "duplicate",
        /// Part of a sudden flood of reviews.
        Burst => "burst",
    }
);

text_enum!(
    /// Where a resident's tip-off stands.
    pub enum TipStatus("tip status") {
        /// Waiting for an inspector.
        Pending => "pending",
        /// An inspector found the problem: it is a hazard now.
        Verified => "verified",
        /// An inspector found nothing to act on.
        Dismissed => "dismissed",
    }
);

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The limits, with their reasons.
#[derive(Debug, Clone, Copy)]
pub struct AbuseRules {
    /// Reviews one client may post per hour across all shops (a resident rates a few shops a day).
    pub reviews_per_client_hour: i64,
    /// One review per client per shop in this window: a rating is an opinion, not a vote count.
    pub per_shop_window_ms: i64,
    /// Tip-offs one client may send per hour.
    pub tips_per_client_hour: i64,
    /// Tip-offs one shop may receive per hour from everyone: enough for a street that sees the same
    /// fire, few enough that a crowd of addresses cannot bury inspectors in one shop's leads.
    pub tips_per_shop_hour: i64,
    /// The same text on the same shop within this window is a duplicate.
    pub duplicate_window_ms: i64,
    /// Window in which a burst is counted.
    pub burst_window_ms: i64,
    /// A burst needs at least this many reviews in the window, whatever the shop's usual rate...
    pub burst_min: i64,
    /// ...and more than this multiple of the shop's usual rate for such a window.
    pub burst_factor: f64,
    /// How far back the usual rate is measured.
    pub baseline_ms: i64,
}

impl Default for AbuseRules {
    fn default() -> Self {
        Self {
            reviews_per_client_hour: 10,
            per_shop_window_ms: DAY_MS,
            tips_per_client_hour: 10,
            tips_per_shop_hour: 20,
            duplicate_window_ms: 30 * DAY_MS,
            burst_window_ms: HOUR_MS,
            burst_min: 10,
            burst_factor: 10.0,
            baseline_ms: 30 * DAY_MS,
        }
    }
}

impl AbuseRules {
    /// True when `in_window` reviews (this one included) is far above the shop's usual rate, given
    /// `in_baseline` reviews over the baseline period before the window.
    pub fn is_burst(&self, in_window: i64, in_baseline: i64) -> bool {
        let windows_in_baseline = (self.baseline_ms / self.burst_window_ms).max(1) as f64;
        let usual = in_baseline as f64 / windows_in_baseline;
        in_window >= self.burst_min && in_window as f64 > self.burst_factor * usual
    }

    /// Whether a new review is held, and why: a duplicate text first, then a burst (the new review
    /// included in `in_window`). `None` means it counts.
    pub fn hold_reason(
        &self,
        duplicate: bool,
        in_window: i64,
        in_baseline: i64,
    ) -> Option<HoldReason> {
        if duplicate {
            Some(HoldReason::Duplicate)
        } else if self.is_burst(in_window, in_baseline) {
            Some(HoldReason::Burst)
        } else {
            None
        }
    }
}

/// The key duplicate texts share: case, spacing and punctuation do not make a text new.
pub fn text_key(text: &str) -> Option<String> {
    let normal: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    (!normal.is_empty()).then(|| hex::encode(Sha256::digest(normal.as_bytes())))
}

/// A client's address reduced to a key: enough to limit it, nothing to identify it by.
pub fn client_key(address: &str) -> String {
    let digest = Sha256::digest(format!("shopcredit-client:{address}").as_bytes());
    hex::encode(&digest[..16])
}

/// A star rating, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stars(u8);

impl Stars {
    pub fn parse(value: i64) -> Result<Self, Invalid> {
        u8::try_from(value)
            .ok()
            .filter(|v| (1..=5).contains(v))
            .map(Self)
            .ok_or_else(|| Invalid::new("rating must be a whole number from 1 to 5"))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_needs_both_volume_and_a_jump_over_the_usual_rate() {
        let rules = AbuseRules::default();
        assert!(!rules.is_burst(3, 0), "a few reviews are never a burst");
        assert!(rules.is_burst(10, 0), "ten in an hour for a quiet shop is");
        // A busy shop with ~720 reviews a month (one an hour) may get 10 in an hour.
        assert!(!rules.is_burst(10, 720));
        assert!(rules.is_burst(200, 720));
    }

    #[test]
    fn a_duplicate_is_held_as_such_even_inside_a_burst() {
        let rules = AbuseRules::default();
        assert_eq!(rules.hold_reason(true, 50, 0), Some(HoldReason::Duplicate));
        assert_eq!(rules.hold_reason(false, 50, 0), Some(HoldReason::Burst));
        assert_eq!(rules.hold_reason(false, 1, 0), None);
    }

    #[test]
    fn duplicate_keys_ignore_case_space_and_punctuation() {
        assert_eq!(text_key("Great food!!"), text_key("great   food"));
        assert_ne!(text_key("great food"), text_key("bad food"));
        assert_eq!(text_key(" !! "), None);
    }

    #[test]
    fn ratings_are_one_to_five() {
        assert!(Stars::parse(0).is_err());
        assert!(Stars::parse(6).is_err());
        assert_eq!(Stars::parse(5).unwrap().get(), 5);
    }
}
