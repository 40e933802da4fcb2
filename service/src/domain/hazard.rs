//! Hazards, patrols and evidence references: the vocabulary of findings.
//!
//! These mirror the scoring crate's enums (which know nothing of HTTP or storage) and add what the
//! API needs: parsing, storage names and OpenAPI schemas.

use serde::{Deserialize, Serialize};
use shopcredit_scoring as scoring;
use utoipa::ToSchema;

use super::vocabulary::{mirror_enum, text_enum};
use super::Invalid;

text_enum!(
    /// How serious a hazard is; decides its deadline.
    pub enum Severity("severity") {
        /// Immediate danger to life: blocked exit, gas leak, indoor e-bike charging.
        Critical => "critical",
        /// Serious non-compliance.
        Major => "major",
        /// Paperwork or housekeeping.
        Minor => "minor",
    }
);

text_enum!(
    /// What kind of danger a hazard is.
    pub enum HazardType("hazard type") {
        Fire => "fire",
        Gas => "gas",
        Electrical => "electrical",
        Exits => "exits",
        FoodHygiene => "food_hygiene",
        Licence => "licence",
        Other => "other",
    }
);

text_enum!(
    /// Who found a hazard.
    pub enum HazardSource("source") {
        SelfCheck => "self_check",
        Patrol => "patrol",
        TipOff => "tip_off",
    }
);

text_enum!(
    /// Where a hazard is in its lifecycle.
    pub enum HazardStatus("status") {
        /// Not fixed (or a fix was rejected).
        Open => "open",
        /// The owner says it is fixed; an inspector has to verify.
        AwaitingVerification => "awaiting_verification",
        /// Verified fixed.
        Closed => "closed",
    }
);

text_enum!(
    /// What kind of visit a patrol was.
    pub enum PatrolKind("patrol kind") {
        GridPatrol => "grid_patrol",
        ProfessionalInspection => "professional_inspection",
    }
);

mirror_enum!(Severity, scoring::Severity, [Critical, Major, Minor]);
mirror_enum!(
    HazardSource,
    scoring::HazardSource,
    [SelfCheck, Patrol, TipOff]
);
mirror_enum!(
    HazardStatus,
    scoring::HazardStatus,
    [Open, AwaitingVerification, Closed]
);
mirror_enum!(
    PatrolKind,
    scoring::PatrolKind,
    [GridPatrol, ProfessionalInspection]
);

/// A problem found at a shop, from any source, before it is opened as a hazard.
#[derive(Debug, Clone)]
pub struct Finding {
    pub source: HazardSource,
    pub severity: Severity,
    pub hazard_type: HazardType,
    /// The checklist item it concerns, if any.
    pub item_id: Option<String>,
    /// In each language: someone's own words are the same in both ([`scoring::Text::as_written`]).
    pub description: scoring::Text,
    pub evidence: Vec<EvidenceRef>,
    /// When it was observed (epoch ms); the deadline runs from here.
    pub observed_at: i64,
}

/// A hazard ready to be stored: a finding with its rectification deadline and what the owner is
/// told when it is opened.
#[derive(Debug, Clone)]
pub struct NewHazard {
    pub finding: Finding,
    /// Epoch ms.
    pub deadline: i64,
    /// The owner's notice: what was found and by when to fix it.
    pub notice: scoring::Text,
}

impl Finding {
    /// The one rule for opening a hazard at `now`: its deadline is the policy's for its severity,
    /// counted from when it was observed (so a back-dated finding may be overdue at once), and the
    /// owner is told of it with the deadline on the district's calendar.
    pub fn open(
        self,
        policy: &scoring::ValidPolicy,
        now: i64,
        utc_offset_minutes: i32,
    ) -> NewHazard {
        let deadline = scoring::hazard_deadline(
            policy,
            self.severity.into(),
            scoring::Timestamp(self.observed_at),
        );
        let notice = scoring::hazard_opened_notice(
            self.severity.into(),
            &self.description,
            deadline,
            scoring::Timestamp(now),
            utc_offset_minutes,
        );
        NewHazard {
            finding: self,
            deadline: deadline.millis(),
            notice,
        }
    }
}

/// Media types accepted as evidence: photos, short videos and documents.
pub const EVIDENCE_MEDIA_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "video/mp4",
    "application/pdf",
];

/// At most this many evidence references per item.
pub const MAX_EVIDENCE: usize = 10;

/// A reference to a photo or document in object storage. The service validates it and never
/// fetches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRef {
    /// `https://` (or `http://`) URL of the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 8, max_length = 2048, pattern = r"^https?://\S+$")]
    pub url: Option<String>,
    /// SHA-256 of the content, 64 hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 64, max_length = 64, pattern = "^[0-9a-fA-F]{64}$")]
    pub sha256: Option<String>,
    /// One of image/jpeg, image/png, image/webp, image/heic, video/mp4, application/pdf.
    // 15: the longest of them (application/pdf); `check` admits only these. The pattern lists
    // EVIDENCE_MEDIA_TYPES (a unit test holds the two together).
    #[schema(
        max_length = 15,
        pattern = "^(image/jpeg|image/png|image/webp|image/heic|video/mp4|application/pdf)$",
        example = "image/jpeg"
    )]
    pub media_type: String,
}

impl EvidenceRef {
    /// Checks one reference; the message says what is wrong.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.url.is_none() && self.sha256.is_none() {
            return Err(Invalid::new(
                "an evidence reference needs a url or a sha256",
            ));
        }
        if let Some(url) = &self.url {
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            let host_present = url.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
            if !scheme_ok
                || !host_present
                || url.len() > 2048
                || url.chars().any(char::is_whitespace)
            {
                return Err(Invalid::new(
                    "url must be an http(s) URL of at most 2048 characters",
                ));
            }
        }
        if let Some(hash) = &self.sha256 {
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Invalid::new("sha256 must be 64 hexadecimal digits"));
            }
        }
        if !EVIDENCE_MEDIA_TYPES.contains(&self.media_type.as_str()) {
            return Err(Invalid::new(format!(
                "media_type must be one of {}",
                EVIDENCE_MEDIA_TYPES.join(", ")
            )));
        }
        Ok(())
    }
}

/// Evidence references as stored: a JSON array (serialising these plain strings cannot fail).
pub fn evidence_json(list: &[EvidenceRef]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

/// Checks a list of references (for `validator` custom checks).
pub fn check_evidence(list: &[EvidenceRef]) -> Result<(), Invalid> {
    if list.len() > MAX_EVIDENCE {
        return Err(Invalid::new(format!(
            "at most {MAX_EVIDENCE} evidence references"
        )));
    }
    list.iter().try_for_each(EvidenceRef::check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(url: Option<&str>, sha: Option<&str>, media: &str) -> EvidenceRef {
        EvidenceRef {
            url: url.map(str::to_owned),
            sha256: sha.map(str::to_owned),
            media_type: media.to_owned(),
        }
    }

    #[test]
    fn the_documented_media_type_pattern_lists_exactly_the_accepted_types() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(EvidenceRef::schema()).unwrap_or_default();
        let pattern = schema["properties"]["media_type"]["pattern"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let listed = format!("^({})$", EVIDENCE_MEDIA_TYPES.join("|"));
        assert_eq!(pattern, listed);
    }

    #[test]
    fn evidence_references_need_a_locator_and_a_known_media_type() {
        let hash = "a".repeat(64);
        assert!(
            reference(Some("https://oss.example/p.jpg"), None, "image/jpeg")
                .check()
                .is_ok()
        );
        assert!(reference(None, Some(&hash), "application/pdf")
            .check()
            .is_ok());
        assert!(reference(None, None, "image/jpeg").check().is_err());
        assert!(reference(Some("ftp://x/p.jpg"), None, "image/jpeg")
            .check()
            .is_err());
        assert!(reference(None, Some("abc"), "image/jpeg").check().is_err());
        assert!(
            reference(Some("https://x/p.exe"), None, "application/x-msdownload")
                .check()
                .is_err()
        );
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Ok(*s));
        }
        assert!(HazardType::parse("flood").is_err());
    }
}
