//! Domain types that validate on construction: once one exists, the rest of the code trusts it.

pub mod checklist;
pub mod dispute;
pub mod enforcement;
pub mod hazard;
pub mod job;
pub mod page;
pub mod policy;
pub mod review;
pub mod role;
pub mod score;
pub mod shop;
pub mod vocabulary;

/// Why a value was refused; the message is shown to the user next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Adapts a domain `parse` to a `validator` custom check, so DTO validation and domain construction
/// share one rule.
pub fn check<T>(result: Result<T, Invalid>) -> Result<(), validator::ValidationError> {
    result.map(|_| ()).map_err(|e| {
        let mut err = validator::ValidationError::new("invalid");
        err.message = Some(e.0.into());
        err
    })
}

/// Trims and checks a free-text field's length in characters (not bytes: names are mostly Chinese).
pub fn bounded_text(value: &str, what: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = value.trim();
    let count = trimmed.chars().count();
    if count == 0 {
        return Err(Invalid::new(format!("{what} must not be empty")));
    }
    if count > max_chars {
        return Err(Invalid::new(format!(
            "{what} must be at most {max_chars} characters"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::new(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(trimmed.to_owned())
}
