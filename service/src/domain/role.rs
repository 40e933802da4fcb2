//! Roles a token can carry.

use super::vocabulary::text_enum;

text_enum!(
    /// What a caller may do; see DESIGN.md "Roles".
    pub enum Role("role") {
        /// A shop owner: only the shops named on the token.
        Owner => "owner",
        /// A grid worker or inspector: only the shops in the grids named on the token.
        Inspector => "inspector",
        /// A market regulator: the whole district.
        Regulator => "regulator",
        /// Administers the service.
        Admin => "admin",
    }
);

text_enum!(
    /// Who did something, in the audit trail: a token's role, an anonymous resident, or the service.
    pub enum ActorRole("actor role") {
        Owner => "owner",
        Inspector => "inspector",
        Regulator => "regulator",
        Admin => "admin",
        /// An anonymous resident.
        Public => "public",
        /// The service itself: sweeps, jobs, rescoring.
        System => "system",
    }
);

impl From<Role> for ActorRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => ActorRole::Owner,
            Role::Inspector => ActorRole::Inspector,
            Role::Regulator => ActorRole::Regulator,
            Role::Admin => ActorRole::Admin,
        }
    }
}

impl Role {
    /// Regulators and admins see and manage the whole district.
    pub fn is_district_wide(self) -> bool {
        matches!(self, Role::Regulator | Role::Admin)
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
