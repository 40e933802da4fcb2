//! A shop in the registry and the values it is made of.

use rand::Rng;

use super::vocabulary::text_enum;
use super::{bounded_text, Invalid};

/// Letters and digits that cannot be misread on a door sign: no 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Length of a door code: 31^8 ≈ 8.5e11 codes, so random codes rarely collide and cannot be guessed
/// in sequence.
pub const CODE_LEN: usize = 8;

/// A random string of `len` characters from [`CODE_ALPHABET`]: short, unguessable, and readable
/// aloud or from a sign (door codes, tip-off receipts).
pub fn random_code(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// The short public code on a shop's door. Case-insensitive: stored and compared upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShopCode(String);

impl ShopCode {
    /// A fresh random code (uniqueness is enforced by the database; the caller retries on conflict).
    pub fn generate(rng: &mut impl Rng) -> Self {
        Self(random_code(rng, CODE_LEN))
    }

    /// Accepts a code as typed or scanned: any case, surrounding spaces ignored.
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let upper = value.trim().to_ascii_uppercase();
        let well_formed =
            upper.len() == CODE_LEN && upper.bytes().all(|b| CODE_ALPHABET.contains(&b));
        if well_formed {
            Ok(Self(upper))
        } else {
            Err(Invalid::new(format!(
                "a shop code is {CODE_LEN} characters from {}",
                std::str::from_utf8(CODE_ALPHABET).unwrap_or_default()
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A shop's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopName(String);

impl ShopName {
    pub const MAX_CHARS: usize = 100;
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        bounded_text(value, "name", Self::MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A street address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(String);

impl Address {
    pub const MAX_CHARS: usize = 200;
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        bounded_text(value, "address", Self::MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The owner's name (private: never shown to the public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerName(String);

impl OwnerName {
    pub const MAX_CHARS: usize = 50;
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        bounded_text(value, "owner name", Self::MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with an optional leading `+`; spaces and dashes are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let compact: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = compact.strip_prefix('+').unwrap_or(&compact);
        let ok = (5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(compact))
        } else {
            Err(Invalid::new(
                "a phone number is 5 to 20 digits, optionally starting with +",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A grid: the short code the district gives an area, e.g. `G01`. Stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GridCode(String);

impl GridCode {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let upper = value.trim().to_ascii_uppercase();
        let ok = (1..=16).contains(&upper.len())
            && upper
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && upper.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(Self(upper))
        } else {
            Err(Invalid::new(
                "a grid code is 1 to 16 letters, digits or dashes, e.g. G01",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_enum!(
    /// What kind of business a shop is; decides its self-check checklist.
    pub enum Category("category") {
        /// Restaurants, canteens, snack bars: anything that cooks.
        Restaurant => "restaurant",
        /// Convenience stores, groceries and other retail.
        Retail => "retail",
        /// Small service shops: hair salons, laundries, repair shops.
        Service => "service",
        /// Anything else.
        Other => "other",
    }
);

text_enum!(
    /// Whether a shop is trading. Closed shops are kept (history matters) but hidden from public
    /// search.
    pub enum ShopStatus("status") {
        Open => "open",
        Closed => "closed",
    }
);

/// WGS84 coordinates of the shop's door.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    lat: f64,
    lon: f64,
}

impl Location {
    pub fn parse(lat: f64, lon: f64) -> Result<Self, Invalid> {
        if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
            return Err(Invalid::new("lat must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
            return Err(Invalid::new("lon must be between -180 and 180"));
        }
        Ok(Self { lat, lon })
    }
    pub fn lat(&self) -> f64 {
        self.lat
    }
    pub fn lon(&self) -> f64 {
        self.lon
    }
}

/// Everything needed to register a shop, already validated.
#[derive(Debug, Clone)]
pub struct NewShop {
    pub name: ShopName,
    pub address: Address,
    pub category: Category,
    pub grid: GridCode,
    pub location: Option<Location>,
    pub owner_name: OwnerName,
    pub owner_phone: Phone,
}

/// A validated partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ShopChanges {
    pub name: Option<ShopName>,
    pub address: Option<Address>,
    pub category: Option<Category>,
    pub grid: Option<GridCode>,
    /// `Some(None)` clears the location.
    pub location: Option<Option<Location>>,
    pub owner_name: Option<OwnerName>,
    pub owner_phone: Option<Phone>,
    pub status: Option<ShopStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back_and_avoid_ambiguous_characters() {
        let mut rng = rand::thread_rng();
        for _ in 0..1000 {
            let code = ShopCode::generate(&mut rng);
            assert_eq!(ShopCode::parse(code.as_str()), Ok(code.clone()));
            assert!(!code.as_str().contains(['0', 'O', '1', 'I', 'L']));
        }
    }

    #[test]
    fn codes_are_case_insensitive() {
        assert_eq!(ShopCode::parse(" abcd2345 ").unwrap().as_str(), "ABCD2345");
    }

    #[test]
    fn invalid_values_are_refused() {
        let cases: Vec<(&str, bool)> = vec![
            ("ABCD234", ShopCode::parse("ABCD234").is_err()),
            ("ABCD2340 has 0", ShopCode::parse("ABCD2340").is_err()),
            ("empty name", ShopName::parse("   ").is_err()),
            ("long name", ShopName::parse(&"店".repeat(101)).is_err()),
            ("phone letters", Phone::parse("13800x").is_err()),
            ("grid symbol", GridCode::parse("G 1").is_err()),
            ("lat range", Location::parse(91.0, 0.0).is_err()),
            ("lon nan", Location::parse(0.0, f64::NAN).is_err()),
            ("category", Category::parse("bakery").is_err()),
        ];
        for (what, refused) in cases {
            assert!(refused, "{what} should be refused");
        }
    }

    #[test]
    fn names_count_characters_not_bytes() {
        assert!(ShopName::parse(&"店".repeat(100)).is_ok());
    }
}
