//! Request and response bodies of the shop routes, and their conversion to and from the domain.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::rfc3339;
use crate::domain::check;
use crate::domain::score::{Colour, ReasonCode};
use crate::domain::shop::{
    Address, Category, CreditCode, GridCode, Location, NewShop, OwnerName, Phone, ShopChanges,
    ShopName, ShopOrder, ShopStatus,
};
use crate::domain::vocabulary::{valid_choice, Choice};
use crate::error::ApiError;
use crate::storage::reviews::RatingSummary;
use crate::storage::scores::CurrentScore;
use crate::storage::shops::ShopRecord;

fn valid_name(v: &str) -> Result<(), ValidationError> {
    check(ShopName::parse(v))
}
fn valid_address(v: &str) -> Result<(), ValidationError> {
    check(Address::parse(v))
}
fn valid_owner_name(v: &str) -> Result<(), ValidationError> {
    check(OwnerName::parse(v))
}
fn valid_phone(v: &str) -> Result<(), ValidationError> {
    check(Phone::parse(v))
}
fn valid_grid(v: &str) -> Result<(), ValidationError> {
    check(GridCode::parse(v))
}
fn valid_category(v: &str) -> Result<(), ValidationError> {
    check(Category::parse(v))
}
fn valid_status(v: &str) -> Result<(), ValidationError> {
    check(ShopStatus::parse(v))
}
fn valid_credit_code(v: &str) -> Result<(), ValidationError> {
    check(CreditCode::parse(v))
}
fn credit_code(v: Option<&str>) -> Result<Option<CreditCode>, ApiError> {
    v.map(CreditCode::parse)
        .transpose()
        .map_err(|e| ApiError::field("credit_code", e.0))
}
fn valid_lat(v: f64) -> Result<(), ValidationError> {
    check(Location::parse(v, 0.0))
}
fn valid_lon(v: f64) -> Result<(), ValidationError> {
    check(Location::parse(0.0, v))
}

/// Registers a shop.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShopRequest {
    #[validate(custom(function = "valid_name"))]
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 100,
        example = "老王面馆"
    )]
    pub name: String,
    #[validate(custom(function = "valid_address"))]
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 200,
        example = "西湖区文三路 88 号"
    )]
    pub address: String,
    // A string checked by `validator` rather than a serde enum: serde stops at the first bad
    // value, validator reports every invalid field at once.
    #[validate(custom(function = "valid_category"))]
    #[schema(value_type = Category)]
    pub category: String,
    /// The district's grid code, e.g. `G01`; created on first use.
    #[validate(custom(function = "valid_grid"))]
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = "^[A-Za-z0-9][A-Za-z0-9-]{0,15}$",
        example = "G01"
    )]
    pub grid: String,
    #[validate(custom(function = "valid_lat"))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    #[validate(custom(function = "valid_lon"))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: Option<f64>,
    /// Private: never shown to the public.
    #[validate(custom(function = "valid_owner_name"))]
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 50
    )]
    pub owner_name: String,
    /// Private: never shown to the public.
    #[validate(custom(function = "valid_phone"), length(max = 24))]
    #[schema(
        min_length = 5,
        max_length = 24,
        pattern = r"^[ -]*\+?(?:[ -]*[0-9]){5,20}[ -]*$",
        example = "13800138000"
    )]
    pub owner_phone: String,
    /// The unified social credit code (统一社会信用代码) on the business licence: 18 characters whose
    /// last is the GB 32100-2015 check character. Unique: a code another shop carries is 409.
    #[validate(custom(function = "valid_credit_code"))]
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{18}$",
        example = "91350100M000100Y43"
    )]
    pub credit_code: Option<String>,
    /// A shop with the same name and address (compared ignoring case and spaces) is refused as a
    /// likely duplicate (409 naming its id) unless this is `true`: two shops may truly share both.
    #[serde(default)]
    pub confirm_duplicate: bool,
}

impl CreateShopRequest {
    /// The validated domain value; called after `validate()`, so parse failures cannot happen here
    /// except for rules that span fields.
    pub fn into_domain(self) -> Result<NewShop, ApiError> {
        Ok(NewShop {
            name: ShopName::parse(&self.name).map_err(|e| ApiError::field("name", e.0))?,
            address: Address::parse(&self.address).map_err(|e| ApiError::field("address", e.0))?,
            category: Category::parse(&self.category)
                .map_err(|e| ApiError::field("category", e.0))?,
            grid: GridCode::parse(&self.grid).map_err(|e| ApiError::field("grid", e.0))?,
            location: location(self.lat, self.lon)?,
            owner_name: OwnerName::parse(&self.owner_name)
                .map_err(|e| ApiError::field("owner_name", e.0))?,
            owner_phone: Phone::parse(&self.owner_phone)
                .map_err(|e| ApiError::field("owner_phone", e.0))?,
            credit_code: credit_code(self.credit_code.as_deref())?,
        })
    }
}

fn location(lat: Option<f64>, lon: Option<f64>) -> Result<Option<Location>, ApiError> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => Location::parse(lat, lon)
            .map(Some)
            .map_err(|e| ApiError::field("lat", e.0)),
        (Some(_), None) => Err(ApiError::field("lon", "lat and lon go together")),
        (None, Some(_)) => Err(ApiError::field("lat", "lat and lon go together")),
    }
}

/// Changes to a shop; absent fields stay as they are. `lat`/`lon` set to `null` clear the location.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateShopRequest {
    #[validate(custom(function = "valid_name"))]
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 100
    )]
    pub name: Option<String>,
    #[validate(custom(function = "valid_address"))]
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 200
    )]
    pub address: Option<String>,
    #[validate(custom(function = "valid_category"))]
    #[schema(value_type = Option<Category>)]
    pub category: Option<String>,
    #[validate(custom(function = "valid_grid"))]
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = "^[A-Za-z0-9][A-Za-z0-9-]{0,15}$"
    )]
    pub grid: Option<String>,
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<f64>, minimum = -90.0, maximum = 90.0)]
    pub lat: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<f64>, minimum = -180.0, maximum = 180.0)]
    pub lon: Option<Option<f64>>,
    #[validate(custom(function = "valid_owner_name"))]
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 50
    )]
    pub owner_name: Option<String>,
    #[validate(custom(function = "valid_phone"), length(max = 24))]
    #[schema(
        min_length = 5,
        max_length = 24,
        pattern = r"^[ -]*\+?(?:[ -]*[0-9]){5,20}[ -]*$"
    )]
    pub owner_phone: Option<String>,
    /// `closed` or `suspended` hides the shop from public search and shows it as such, without a
    /// colour, to a resident who scans its code; it is never deleted.
    #[validate(custom(function = "valid_status"))]
    #[schema(value_type = Option<ShopStatus>)]
    pub status: Option<String>,
    /// Sets the unified social credit code (see registration); `null` removes it.
    #[validate(custom(function = "valid_credit_code"))]
    #[schema(
        value_type = Option<String>,
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{18}$"
    )]
    #[serde(default, deserialize_with = "present_or_null_text")]
    pub credit_code: Option<Option<String>>,
}

/// Distinguishes a field set to `null` (`Some(None)`) from an absent one (`None`).
fn present_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
}

/// [`present_or_null`] for text.
fn present_or_null_text<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl UpdateShopRequest {
    pub fn into_domain(self) -> Result<ShopChanges, ApiError> {
        let location = match (self.lat, self.lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => Some(location(lat, lon)?),
            _ => return Err(ApiError::field("lat", "lat and lon are changed together")),
        };
        let field =
            |name: &'static str| move |e: crate::domain::Invalid| ApiError::field(name, e.0);
        Ok(ShopChanges {
            name: self
                .name
                .as_deref()
                .map(ShopName::parse)
                .transpose()
                .map_err(field("name"))?,
            address: self
                .address
                .as_deref()
                .map(Address::parse)
                .transpose()
                .map_err(field("address"))?,
            category: self
                .category
                .as_deref()
                .map(Category::parse)
                .transpose()
                .map_err(field("category"))?,
            grid: self
                .grid
                .as_deref()
                .map(GridCode::parse)
                .transpose()
                .map_err(field("grid"))?,
            location,
            owner_name: self
                .owner_name
                .as_deref()
                .map(OwnerName::parse)
                .transpose()
                .map_err(field("owner_name"))?,
            owner_phone: self
                .owner_phone
                .as_deref()
                .map(Phone::parse)
                .transpose()
                .map_err(field("owner_phone"))?,
            status: self
                .status
                .as_deref()
                .map(ShopStatus::parse)
                .transpose()
                .map_err(field("status"))?,
            credit_code: self
                .credit_code
                .map(|code| credit_code(code.as_deref()))
                .transpose()?,
        })
    }
}

/// Filters and paging of `GET /v1/shops`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShopListQuery {
    /// Only shops in this grid.
    #[validate(custom(function = "valid_grid"))]
    #[param(
        min_length = 1,
        max_length = 16,
        pattern = "^[A-Za-z0-9][A-Za-z0-9-]{0,15}$"
    )]
    pub grid: Option<String>,
    /// Only shops of this category.
    #[validate(custom(function = "valid_category"))]
    #[param(value_type = Option<Category>)]
    pub category: Option<String>,
    /// Only shops of this colour now (shops not yet scored have none).
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<Colour>)]
    pub colour: Option<Choice<Colour>>,
    /// Substring of the name or address.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// `registered` (default), `score` (lowest first) or `colour` (red, yellow, green, each lowest
    /// score first); shops not yet scored come last. Keep it the same while paging.
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<ShopOrder>)]
    pub order: Option<Choice<ShopOrder>>,
    /// `next_cursor` of the previous page.
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^r1\.-?[0-9]{1,18}\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, default 50; larger values are capped at 200.
    #[param(minimum = 1)]
    #[validate(range(min = 1))]
    pub limit: Option<i64>,
}

/// A shop as its owner, inspectors and regulators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopResponse {
    pub id: i64,
    /// The public door code.
    #[schema(example = "K7MPQ2XA")]
    pub code: String,
    pub name: String,
    pub address: String,
    pub category: Category,
    pub grid: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub owner_name: String,
    pub owner_phone: String,
    /// The unified social credit code, when known.
    pub credit_code: Option<String>,
    pub status: ShopStatus,
    /// The credit score now, 0–1000; `null` until first scored.
    pub score: Option<i64>,
    /// The colour now; `null` until first scored.
    pub colour: Option<Colour>,
    /// The page a resident reaches by scanning the door QR code.
    pub public_url: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl ShopResponse {
    /// The view of a shop with its current score, if it has one.
    pub fn from_record(
        r: ShopRecord,
        score: Option<(i64, Colour)>,
        public_base_url: &str,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            score: score.map(|(s, _)| s),
            colour: score.map(|(_, c)| c),
            credit_code: r.credit_code,
            public_url: public_url(public_base_url, &r.code),
            id: r.id,
            code: r.code,
            name: r.name,
            address: r.address,
            category: r.category,
            grid: r.grid,
            lat: r.lat,
            lon: r.lon,
            owner_name: r.owner_name,
            owner_phone: r.owner_phone,
            status: r.status,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        })
    }
}

/// A shop as anyone may see it: no owner contact, no internal id.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicShopResponse {
    #[schema(example = "K7MPQ2XA")]
    pub code: String,
    pub name: String,
    pub address: String,
    pub category: Category,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub status: ShopStatus,
    pub public_url: String,
    /// Residents' rating: only reviews that count (held and disputed ones are left out).
    pub rating: PublicRating,
    /// The credit score, 0–1000 (`null` until first scored, and while the shop is closed or
    /// suspended: `status` says why).
    pub score: Option<i64>,
    /// `null` until first scored, and while the shop is closed or suspended.
    pub colour: Option<Colour>,
    /// Too little evidence yet for a firm code.
    pub provisional: bool,
    /// RFC 3339: the last patrol or inspection.
    pub last_inspection_at: Option<String>,
    /// Why the score is not higher (at most four), without internal ids.
    pub reasons: Vec<PublicReason>,
}

/// A reason as residents see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicReason {
    pub code: ReasonCode,
    pub message_zh: String,
    pub message_en: String,
}

/// What the public sees of a shop's standing.
#[derive(Debug, Clone, Default)]
pub struct PublicStanding {
    pub rating: RatingSummary,
    pub score: Option<CurrentScore>,
    pub last_patrol_at: Option<i64>,
    pub reasons: Vec<PublicReason>,
}

/// The counted public rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRating {
    /// Mean of the counted ratings, 1–5; `null` with no counted review.
    pub average: Option<f64>,
    pub count: i64,
}

impl PublicRating {
    pub fn from_summary(s: RatingSummary) -> Self {
        Self {
            // Two decimals: residents read it, nobody needs the float noise.
            average: (s.count > 0)
                .then(|| (s.total as f64 / s.count as f64 * 100.0).round() / 100.0),
            count: s.count,
        }
    }
}

impl PublicShopResponse {
    pub fn from_record(
        r: ShopRecord,
        public_base_url: &str,
        standing: PublicStanding,
    ) -> Result<Self, ApiError> {
        // A shop that is not trading has no colour to show: a closed shop must never read as green.
        let (score, reasons) = if r.status.is_trading() {
            (standing.score, standing.reasons)
        } else {
            (None, Vec::new())
        };
        Ok(Self {
            rating: PublicRating::from_summary(standing.rating),
            score: score.as_ref().map(|s| s.score),
            colour: score.as_ref().map(|s| s.colour),
            provisional: score.as_ref().is_some_and(|s| s.provisional),
            last_inspection_at: standing.last_patrol_at.map(rfc3339),
            reasons,
            public_url: public_url(public_base_url, &r.code),
            code: r.code,
            name: r.name,
            address: r.address,
            category: r.category,
            lat: r.lat,
            lon: r.lon,
            status: r.status,
        })
    }
}

/// The resident-facing address of a shop, printed as the door QR code.
pub fn public_url(base: &str, code: &str) -> String {
    format!("{}/s/{code}", base.trim_end_matches('/'))
}
