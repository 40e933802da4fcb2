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
    /// Whether a shop is trading. Closed and suspended shops are kept (history matters), hidden from
    /// public search, and shown to a resident who scans their code as closed or suspended, never
    /// with a colour.
    pub enum ShopStatus("status") {
        Open => "open",
        /// No longer trading.
        Closed => "closed",
        /// Ordered to stop trading by the regulator, for now.
        Suspended => "suspended",
    }
);

text_enum!(
    /// The order of the shop list.
    pub enum ShopOrder("order") {
        /// Registration order (the default).
        Registered => "registered",
        /// Lowest score first; shops not yet scored last.
        Score => "score",
        /// Red first, then yellow, then green, each lowest score first; shops not yet scored last.
        Colour => "colour",
    }
);

impl ShopStatus {
    /// Whether the shop is trading, so its colour means something to a resident.
    pub fn is_trading(self) -> bool {
        self == ShopStatus::Open
    }
}

/// A grid's display name, e.g. `文三社区`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridName(String);

impl GridName {
    pub const MAX_CHARS: usize = 100;
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        bounded_text(value, "grid name", Self::MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The characters of a unified social credit code (统一社会信用代码), in the order of their values
/// (GB 32100-2015): digits and capital letters without I, O, Z, S, V.
const CREDIT_CODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weights of the first 17 characters: 3^(i) mod 31 (GB 32100-2015, 4.3).
const CREDIT_CODE_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (统一社会信用代码): 18 characters, the last a check character computed
/// from the other 17 as GB 32100-2015 defines it. Stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    pub const LEN: usize = 18;

    /// Accepts a code in any case, surrounding spaces ignored; refuses a wrong length, a character
    /// outside the code's alphabet or a wrong check character.
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let upper = value.trim().to_ascii_uppercase();
        let values: Option<Vec<u32>> = upper.bytes().map(credit_code_value).collect();
        let Some(values) = values.filter(|v| v.len() == Self::LEN) else {
            return Err(Invalid::new(
                "a unified social credit code is 18 digits or capital letters (no I, O, Z, S, V)",
            ));
        };
        let expected = credit_code_check(&values[..17]);
        if values[17] != expected {
            return Err(Invalid::new(format!(
                "the check character of this credit code should be {}: the code is mistyped",
                CREDIT_CODE_CHARS[expected as usize] as char
            )));
        }
        Ok(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn credit_code_value(b: u8) -> Option<u32> {
    CREDIT_CODE_CHARS
        .iter()
        .position(|&c| c == b)
        .and_then(|p| u32::try_from(p).ok())
}

/// The value of the check character for the first 17 values: 31 − (Σ value × weight mod 31), where
/// 31 stands for 0.
fn credit_code_check(first17: &[u32]) -> u32 {
    let sum: u32 = first17
        .iter()
        .zip(CREDIT_CODE_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    (31 - sum % 31) % 31
}

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
    pub credit_code: Option<CreditCode>,
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
    /// `Some(None)` removes the code.
    pub credit_code: Option<Option<CreditCode>>,
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
    fn published_credit_codes_pass_their_check_character() {
        // Codes of real companies, from their business licences.
        for code in [
            "91350100M000100Y43",
            "911101080828461726",
            "914403001922038216",
            "91330100716105852F",
            "91110000802100433B",
        ] {
            assert_eq!(CreditCode::parse(code).map(|c| c.0), Ok(code.to_owned()));
        }
        assert_eq!(
            CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn credit_codes_with_a_wrong_check_character_length_or_letter_are_refused() {
        for code in [
            "91350100M000100Y44",  // check character off by one
            "911101080828461727",  // the same
            "91350100M000100Y4",   // 17 characters
            "91350100M000100Y433", // 19 characters
            "91350100O000100Y43",  // O is not in the alphabet
            "91350100M00010-Y43",
            "",
        ] {
            assert!(CreditCode::parse(code).is_err(), "{code}");
        }
        let err = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert!(err.0.contains("should be 3"), "{}", err.0);
    }

    #[test]
    fn the_check_character_is_zero_when_the_sum_is_a_multiple_of_31() {
        assert_eq!(credit_code_check(&[0; 17]), 0);
        // Every 17-character prefix has exactly one valid check character.
        let prefix: Vec<u32> = b"91350100M000100Y4"
            .iter()
            .map(|&b| credit_code_value(b).unwrap())
            .collect();
        let valid: Vec<u8> = CREDIT_CODE_CHARS
            .iter()
            .copied()
            .filter(|&c| {
                let mut code = String::from("91350100M000100Y4");
                code.push(c as char);
                CreditCode::parse(&code).is_ok()
            })
            .collect();
        assert_eq!(
            valid,
            vec![CREDIT_CODE_CHARS[credit_code_check(&prefix) as usize]]
        );
    }

    #[test]
    fn only_open_shops_are_trading() {
        assert!(ShopStatus::Open.is_trading());
        assert!(!ShopStatus::Closed.is_trading());
        assert!(!ShopStatus::Suspended.is_trading());
    }

    #[test]
    fn names_count_characters_not_bytes() {
        assert!(ShopName::parse(&"店".repeat(100)).is_ok());
    }
}
