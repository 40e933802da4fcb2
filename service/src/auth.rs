//! Bearer tokens: opaque 32-byte random secrets with a readable prefix, stored as SHA-256 hashes
//! (a slow password hash buys nothing for high-entropy secrets, and revocation is instant).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::client::client_address;
use crate::domain::role::{Role, Visibility};
use crate::error::ApiError;
use crate::extract::AccessGate;
use crate::state::AppState;

/// Every token starts with this, so leaked tokens are easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "sc_";

/// A freshly minted token: the secret (shown once) and what is stored.
#[derive(Debug)]
pub struct MintedToken {
    pub secret: String,
    pub hash: String,
    /// The first characters of the secret, safe to show in listings and to revoke by.
    pub display_prefix: String,
}

/// Mints a new random token.
pub fn mint_token() -> MintedToken {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    MintedToken {
        hash: hash_token(&secret),
        display_prefix: secret.chars().take(TOKEN_PREFIX.len() + 8).collect(),
        secret,
    }
}

/// The stored form of a token.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: i64,
    pub role: Role,
    /// The token's label, if it has one.
    pub label: Option<String>,
}

impl Principal {
    /// Which shops this caller can see.
    pub fn visibility(&self) -> Visibility {
        match self.role {
            Role::Regulator | Role::Admin => Visibility::District,
            Role::Owner => Visibility::OwnShops {
                token_id: self.token_id,
            },
            Role::Inspector => Visibility::OwnGrids {
                token_id: self.token_id,
            },
        }
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let gate = AccessGate::open(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = bearer_token(req);
        let address = state
            .as_ref()
            .map(|s| client_address(req, &s.settings.trusted_proxies));
        Box::pin(async move {
            let _open_until_known = gate;
            let state = state.ok_or_else(|| ApiError::invariant("application state missing"))?;
            let secret = secret.ok_or(ApiError::Unauthenticated)?;
            let Some(record) = state.store.token_by_hash(&hash_token(&secret)).await? else {
                return Err(refuse_bad_token(&state, address.as_deref().unwrap_or("")));
            };
            Ok(Principal {
                token_id: record.id,
                role: record.role,
                label: record.label,
            })
        })
    }
}

/// A token that matched no live token: 401, or 429 once its address has sent too many (counted
/// either way).
fn refuse_bad_token(state: &AppState, address: &str) -> ApiError {
    match state.bad_tokens.record(address) {
        Ok(()) => {
            state.metrics.auth_failure("rejected");
            ApiError::Unauthenticated
        }
        Err(retry_after_secs) => {
            state.metrics.auth_failure("throttled");
            ApiError::RateLimited { retry_after_secs }
        }
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_unique_prefixed_and_hash_to_what_is_stored() {
        let a = mint_token();
        let b = mint_token();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(a.hash, hash_token(&a.secret));
        assert!(a.secret.starts_with(&a.display_prefix));
        assert_eq!(a.hash.len(), 64);
    }
}

/// A set of roles a route admits, checked before the body is read (so a wrong role gets 403, not a
/// validation error about a body it may not send anyway: see [`AccessGate`]).
pub trait RoleSet {
    const ROLES: &'static [Role];
}

/// Regulators and admins.
#[derive(Debug)]
pub struct DistrictStaff;
impl RoleSet for DistrictStaff {
    const ROLES: &'static [Role] = &[Role::Regulator, Role::Admin];
}

/// Inspectors (of the record's grid, which visibility checks), regulators and admins.
#[derive(Debug)]
pub struct FieldStaff;
impl RoleSet for FieldStaff {
    const ROLES: &'static [Role] = &[Role::Inspector, Role::Regulator, Role::Admin];
}

/// Shop owners (of the shop in view, which visibility checks).
#[derive(Debug)]
pub struct ShopOwners;
impl RoleSet for ShopOwners {
    const ROLES: &'static [Role] = &[Role::Owner];
}

/// An authenticated caller whose role is in `R`.
#[derive(Debug)]
pub struct Authorized<R: RoleSet>(pub Principal, std::marker::PhantomData<R>);

impl<R: RoleSet + 'static> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let gate = AccessGate::open(req);
        let principal = Principal::from_request(req, payload);
        Box::pin(async move {
            let _open_until_decided = gate;
            let principal = principal.await?;
            principal.require(R::ROLES)?;
            Ok(Authorized(principal, std::marker::PhantomData))
        })
    }
}
