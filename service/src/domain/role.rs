//! Roles a token can carry.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;

/// What a caller may do; see DESIGN.md "Roles".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A shop owner: only the shops named on the token.
    Owner,
    /// A grid worker or inspector: only the shops in the grids named on the token.
    Inspector,
    /// A market regulator: the whole district.
    Regulator,
    /// Administers the service.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Inspector, Role::Regulator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Inspector => "inspector",
            Role::Regulator => "regulator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "unknown role {value:?}; expected owner, inspector, regulator or admin"
                ))
            })
    }

    /// Regulators and admins see and manage the whole district.
    pub fn is_district_wide(self) -> bool {
        matches!(self, Role::Regulator | Role::Admin)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which shops a caller can see, derived from its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Regulators and admins: every shop.
    District,
    /// An owner: the shops named on token `token_id`.
    OwnShops { token_id: i64 },
    /// An inspector: the shops in the grids named on token `token_id`.
    OwnGrids { token_id: i64 },
}
