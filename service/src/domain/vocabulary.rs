//! Enumerated values (severities, statuses, kinds, reasons…): each is one Rust enum, parsed once at
//! the HTTP edge and converted once at the storage edge, and an enum in the OpenAPI document.
//!
//! [`text_enum!`] declares such an enum with its stable name per variant (the same in JSON and in
//! the database), and implements serde, utoipa and sqlx (`Any`) for it, so no other layer ever
//! matches on strings.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer};

use super::Invalid;

/// An enum with a stable text name per variant.
pub trait TextEnum: Sized + Copy + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// What the values are called in messages ("severity", "status").
    const WHAT: &'static str;

    /// The stable name, as used in JSON and in the database.
    fn as_str(self) -> &'static str;

    /// Parses a stable name; the message lists the accepted ones.
    fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                Invalid::new(format!(
                    "unknown {} {value:?}; expected one of: {}",
                    Self::WHAT,
                    names.join(", ")
                ))
            })
    }
}

/// Declares an enumerated value: `text_enum!(/// docs  pub enum Name("what") { Variant => "name", … })`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident ($what:literal) {
        $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        // Names are the variants in snake_case; `rename_all` (not a per-variant `rename = $text`,
        // which utoipa cannot read through a macro fragment) keeps serde and the document on them,
        // and `names_agree` checks they equal the stable names below.
        #[serde(rename_all = "snake_case")]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $crate::domain::vocabulary::TextEnum for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            const WHAT: &'static str = $what;
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$($name::$variant),+];

            /// The stable name, as used in JSON and in the database.
            pub fn as_str(self) -> &'static str {
                <Self as $crate::domain::vocabulary::TextEnum>::as_str(self)
            }

            /// Parses a stable name.
            pub fn parse(value: &str) -> Result<Self, $crate::domain::Invalid> {
                <Self as $crate::domain::vocabulary::TextEnum>::parse(value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(
                value: sqlx::any::AnyValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(<Self as $crate::domain::vocabulary::TextEnum>::parse(&text)?)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }
    };
}
pub(crate) use text_enum;

/// Mirrors a service enum onto the scoring crate's enum of the same variants, both ways.
macro_rules! mirror_enum {
    ($ours:ty, $theirs:ty, [$($variant:ident),+ $(,)?]) => {
        impl From<$ours> for $theirs {
            fn from(v: $ours) -> Self {
                match v { $(<$ours>::$variant => <$theirs>::$variant),+ }
            }
        }
        impl From<$theirs> for $ours {
            fn from(v: $theirs) -> Self {
                match v { $(<$theirs>::$variant => <$ours>::$variant),+ }
            }
        }
    };
}
pub(crate) use mirror_enum;

/// A request field holding an enumerated value: it deserialises from any string, so a request with
/// several bad fields reports them all at once (via `validator`), and a good value is parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice<T> {
    Valid(T),
    Invalid(Invalid),
}

impl<T: TextEnum> Choice<T> {
    /// The parsed value, or why it was refused (validation has already reported it).
    pub fn value(&self) -> Result<T, Invalid> {
        match self {
            Choice::Valid(v) => Ok(*v),
            Choice::Invalid(e) => Err(e.clone()),
        }
    }

    /// A `validator` custom check.
    pub fn check(&self) -> Result<(), validator::ValidationError> {
        super::check(self.value())
    }

    /// The parsed value of the request field `field` (already validated, so this fails only when a
    /// handler skipped validation).
    pub fn get(&self, field: &str) -> Result<T, crate::error::ApiError> {
        self.value()
            .map_err(|e| crate::error::ApiError::field(field, e.0))
    }
}

/// `#[validate(custom(function = "valid_choice"))]` for a [`Choice`] field.
pub fn valid_choice<T: TextEnum>(v: &Choice<T>) -> Result<(), validator::ValidationError> {
    v.check()
}

impl<T: TextEnum> From<T> for Choice<T> {
    fn from(v: T) -> Self {
        Choice::Valid(v)
    }
}

/// Serialised as the name it was given (validation errors echo it).
impl<T: TextEnum> serde::Serialize for Choice<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Choice::Valid(v) => serializer.serialize_str(v.as_str()),
            Choice::Invalid(e) => serializer.serialize_str(&e.0),
        }
    }
}

impl<'de, T: TextEnum> Deserialize<'de> for Choice<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(PhantomData<T>);
        impl<T: TextEnum> serde::de::Visitor<'_> for Visit<T> {
            type Value = Choice<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a {}", T::WHAT)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Choice<T>, E> {
                Ok(match T::parse(v) {
                    Ok(value) => Choice::Valid(value),
                    Err(e) => Choice::Invalid(e),
                })
            }
        }
        deserializer.deserialize_str(Visit(PhantomData))
    }
}

/// A 0/1 integer column read as a `bool` (both backends store flags as integers): use it on row
/// fields as `#[sqlx(try_from = "IntFlag")] pub flag: bool`.
#[derive(Debug, Clone, Copy)]
pub struct IntFlag(i64);

impl From<IntFlag> for bool {
    fn from(f: IntFlag) -> bool {
        f.0 != 0
    }
}

impl sqlx::Type<sqlx::Any> for IntFlag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    // Any integer width: PostgreSQL types `CASE … THEN 1 ELSE 0 END` as INTEGER, not BIGINT.
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for IntFlag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value).map(IntFlag)
    }
}

/// Panics unless serde's name of every value of `T` is its stable name (the vocabulary tests call
/// this for every enum declared with [`text_enum!`]).
#[cfg(test)]
pub(crate) fn assert_names_agree<T: TextEnum + serde::Serialize + std::fmt::Debug>() {
    for v in T::ALL {
        let json = serde_json::to_value(v).unwrap_or_default();
        assert_eq!(json.as_str(), Some(v.as_str()), "{v:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    text_enum!(
        /// A test vocabulary.
        enum Fruit("fruit") { Apple => "apple", BloodOrange => "blood_orange" }
    );

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for f in Fruit::ALL {
            assert_eq!(Fruit::parse(f.as_str()), Ok(*f));
        }
        let err = Fruit::parse("pear").unwrap_err();
        assert!(err.0.contains("apple, blood_orange"), "{}", err.0);
        assert_eq!(
            serde_json::to_string(&Fruit::BloodOrange).unwrap(),
            "\"blood_orange\""
        );
    }

    #[test]
    fn every_vocabulary_serialises_as_its_stable_names() {
        use crate::domain::{dispute, enforcement, hazard, job, review, role, score, shop};
        assert_names_agree::<Fruit>();
        assert_names_agree::<hazard::Severity>();
        assert_names_agree::<hazard::HazardType>();
        assert_names_agree::<hazard::HazardSource>();
        assert_names_agree::<hazard::HazardStatus>();
        assert_names_agree::<hazard::PatrolKind>();
        assert_names_agree::<score::Colour>();
        assert_names_agree::<score::CharacteristicId>();
        assert_names_agree::<score::ReasonCode>();
        assert_names_agree::<score::ColourRule>();
        assert_names_agree::<score::PathAction>();
        assert_names_agree::<enforcement::EscalationStep>();
        assert_names_agree::<enforcement::CaseStatus>();
        assert_names_agree::<enforcement::CaseReason>();
        assert_names_agree::<enforcement::CaseActionKind>();
        assert_names_agree::<enforcement::NoticeKind>();
        assert_names_agree::<enforcement::FeedKind>();
        assert_names_agree::<job::JobKind>();
        assert_names_agree::<job::JobStatus>();
        assert_names_agree::<dispute::DisputeTarget>();
        assert_names_agree::<dispute::DisputeStatus>();
        assert_names_agree::<dispute::DisputeOutcome>();
        assert_names_agree::<review::ReviewStatus>();
        assert_names_agree::<review::HoldReason>();
        assert_names_agree::<review::ReviewDecision>();
        assert_names_agree::<review::TipStatus>();
        assert_names_agree::<role::Role>();
        assert_names_agree::<role::ActorRole>();
        assert_names_agree::<shop::Category>();
        assert_names_agree::<shop::ShopStatus>();
        assert_names_agree::<crate::domain::checklist::CheckResult>();
        assert_names_agree::<crate::routes::hazards::HazardListStatus>();
        assert_names_agree::<crate::routes::hazards::VerificationOutcome>();
        assert_names_agree::<crate::routes::health::HealthStatus>();
    }

    #[test]
    fn a_choice_keeps_a_bad_value_for_validation_instead_of_failing_to_parse() {
        let good: Choice<Fruit> = serde_json::from_str("\"apple\"").unwrap();
        assert_eq!(good.value(), Ok(Fruit::Apple));
        let bad: Choice<Fruit> = serde_json::from_str("\"pear\"").unwrap();
        assert!(bad.check().is_err());
    }
}
