//! Request and response bodies of the shop routes, and their conversion to and from the domain.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::rfc3339;
use crate::domain::check;
use crate::domain::score::{Colour, ReasonCode};
use crate::domain::shop::{
    Address, Category, GridCode, Location, NewShop, OwnerName, Phone, ShopChanges, ShopName,
    ShopStatus,
};
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
    #[schema(min_length = 1, max_length = 100, example = "老王面馆")]
    pub name: String,
    #[validate(custom(function = "valid_address"))]
    #[schema(min_length = 1, max_length = 200, example = "西湖区文三路 88 号")]
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
    #[schema(min_length = 1, max_length = 50)]
    pub owner_name: String,
    /// Private: never shown to the public.
    #[validate(custom(function = "valid_phone"))]
    #[schema(min_length = 5, max_length = 24, example = "13800138000")]
    pub owner_phone: String,
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
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[validate(custom(function = "valid_address"))]
    #[schema(min_length = 1, max_length = 200)]
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
    #[schema(min_length = 1, max_length = 50)]
    pub owner_name: Option<String>,
    #[validate(custom(function = "valid_phone"))]
    #[schema(min_length = 5, max_length = 24)]
    pub owner_phone: Option<String>,
    /// `closed` hides the shop from public search; it is never deleted.
    #[validate(custom(function = "valid_status"))]
    #[schema(value_type = Option<ShopStatus>)]
    pub status: Option<String>,
}

/// Distinguishes a field set to `null` (`Some(None)`) from an absent one (`None`).
fn present_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
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
    pub grid: Option<String>,
    /// Only shops of this category.
    #[validate(custom(function = "valid_category"))]
    #[param(value_type = Option<Category>)]
    pub category: Option<String>,
    /// Substring of the name or address.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, default 50; larger values are capped at 200.
    #[param(minimum = 1)]
    #[validate(range(min = 1))]
    pub limit: Option<u32>,
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
    pub status: ShopStatus,
    /// The page a resident reaches by scanning the door QR code.
    pub public_url: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl ShopResponse {
    pub fn from_record(r: ShopRecord, public_base_url: &str) -> Result<Self, ApiError> {
        Ok(Self {
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
    /// The credit score, 0–1000 (`null` until first scored).
    pub score: Option<i64>,
    /// `null` until first scored.
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
        Ok(Self {
            rating: PublicRating::from_summary(standing.rating),
            score: standing.score.as_ref().map(|s| s.score),
            colour: standing.score.as_ref().map(|s| s.colour),
            provisional: standing.score.as_ref().is_some_and(|s| s.provisional),
            last_inspection_at: standing.last_patrol_at.map(rfc3339),
            reasons: standing.reasons,
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
