//! Small helpers every evidence route shares: finding what the caller may see, who the actor is,
//! where an anonymous client comes from, and turning storage refusals into API errors.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::auth::{Principal, RoleSet};
pub use crate::client::client_address;
use crate::domain::role::Role;
use crate::domain::shop::Category;
use crate::error::ApiError;
use crate::extract::AccessGate;
use crate::state::AppState;
use crate::storage::events::Actor;
use crate::storage::hazards::{HazardRecord, TransitionError};
use crate::storage::reviews::LimitError;
use crate::storage::shops::ShopRecord;
use crate::storage::tips::TipRecord;

/// The shop with `id` if the caller may see it, else 404 (existence is not leaked).
#[tracing::instrument(level = "debug", skip_all)]
async fn visible_shop(state: &AppState, who: &Principal, id: i64) -> Result<ShopRecord, ApiError> {
    state
        .store
        .shop(id, who.visibility())
        .await?
        .ok_or(ApiError::NotFound("shop"))
}

/// The shop named by the route's `{id}` and the caller who may see it: routes on one shop take this
/// instead of finding the shop themselves. A shop the caller may not see is 404 (not leaked); a
/// path id that is not a number names nothing, so 404 as well.
pub struct ShopInView {
    pub shop: ShopRecord,
    pub who: Principal,
}

/// What an extractor of "the record named by `{id}`, if the caller may see it" starts from.
struct InView {
    state: Option<web::Data<AppState>>,
    id: Option<i64>,
    principal: <Principal as FromRequest>::Future,
    /// Open until the record is found visible or not: the body waits for that.
    gate: AccessGate,
}

impl InView {
    fn of(req: &HttpRequest, payload: &mut Payload) -> Self {
        Self {
            gate: AccessGate::open(req),
            state: req.app_data::<web::Data<AppState>>().cloned(),
            id: req
                .match_info()
                .get("id")
                .and_then(|v| v.parse::<i64>().ok()),
            principal: Principal::from_request(req, payload),
        }
    }

    /// The state, the caller and the id; an id that is not a number names no `what` (404).
    async fn resolve(
        self,
        what: &'static str,
    ) -> Result<(web::Data<AppState>, Principal, i64, AccessGate), ApiError> {
        let who = self.principal.await?;
        let state = self
            .state
            .ok_or_else(|| ApiError::invariant("application state missing"))?;
        let id = self.id.ok_or(ApiError::NotFound(what))?;
        Ok((state, who, id, self.gate))
    }
}

impl FromRequest for ShopInView {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let view = InView::of(req, payload);
        Box::pin(async move {
            let (state, who, id, gate) = view.resolve("shop").await?;
            let shop = visible_shop(&state, &who, id).await?;
            drop(gate);
            Ok(Self { shop, who })
        })
    }
}

/// The hazard named by the route's `{id}` and the caller who may see its shop (404 otherwise, as
/// for [`ShopInView`]): routes on one hazard take this.
pub struct HazardInView {
    pub hazard: HazardRecord,
    pub who: Principal,
}

impl FromRequest for HazardInView {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let view = InView::of(req, payload);
        Box::pin(async move {
            let (state, who, id, gate) = view.resolve("hazard").await?;
            let hazard = visible_hazard(&state, &who, id).await?;
            drop(gate);
            Ok(Self { hazard, who })
        })
    }
}

/// A record in view ([`ShopInView`], [`HazardInView`]) whose caller also has a role in `R`: 404 when
/// the caller may not see the record (whatever its role), then 403 when it may but its role may not
/// use the route; both before the body is read.
pub struct WithRole<V, R>(pub V, pub PhantomData<R>);

/// A record in view, and who views it.
pub trait Viewed {
    fn who(&self) -> &Principal;
}

impl Viewed for ShopInView {
    fn who(&self) -> &Principal {
        &self.who
    }
}

impl Viewed for HazardInView {
    fn who(&self) -> &Principal {
        &self.who
    }
}

impl<V, R> FromRequest for WithRole<V, R>
where
    V: FromRequest<Error = ApiError> + Viewed + 'static,
    V::Future: 'static,
    R: RoleSet + 'static,
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let gate = AccessGate::open(req);
        let view = V::from_request(req, payload);
        Box::pin(async move {
            let _open_until_decided = gate;
            let view = view.await?;
            view.who().require(R::ROLES)?;
            Ok(WithRole(view, PhantomData))
        })
    }
}

/// The tip-off named by the route's `{id}`, for field staff who may see its shop: 403 for anyone
/// else whichever tip is named (owners never handle tips), then 404 for a tip out of view.
pub struct TipInView {
    pub tip: TipRecord,
    pub who: Principal,
}

impl FromRequest for TipInView {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let view = InView::of(req, payload);
        Box::pin(async move {
            let (state, who, id, gate) = view.resolve("tip").await?;
            who.require(FIELD_STAFF)?;
            let tip = state
                .store
                .tip(id, who.visibility())
                .await?
                .ok_or(ApiError::NotFound("tip"))?;
            drop(gate);
            Ok(Self { tip, who })
        })
    }
}

/// The hazard with `id` if the caller may see its shop, else 404.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn visible_hazard(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<HazardRecord, ApiError> {
    state
        .store
        .hazard(id, who.visibility())
        .await?
        .ok_or(ApiError::NotFound("hazard"))
}

/// The actor recorded in the audit trail for an authenticated caller.
pub fn actor(who: &Principal) -> Actor {
    Actor::token(who.token_id, who.label.as_deref(), who.role)
}

/// Inspectors (of the shop's grid, already checked by visibility), regulators and admins.
pub const FIELD_STAFF: &[Role] = &[Role::Inspector, Role::Regulator, Role::Admin];

/// A shop's category as stored.
pub fn category_of(shop: &ShopRecord) -> Result<Category, ApiError> {
    Ok(shop.category)
}

impl From<TransitionError> for ApiError {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::NotFound => ApiError::NotFound("hazard"),
            TransitionError::WrongStatus(status) => ApiError::Conflict(format!(
                "the hazard is {status}, so this step does not apply"
            )),
            TransitionError::Database(e) => e.into(),
        }
    }
}

impl From<LimitError> for ApiError {
    fn from(err: LimitError) -> Self {
        match err {
            LimitError::RateLimited { retry_after_ms } => ApiError::RateLimited {
                retry_after_secs: (retry_after_ms.max(1000) as u64).div_ceil(1000),
            },
            LimitError::Database(e) => e.into(),
        }
    }
}

/// Parses an RFC 3339 time into epoch milliseconds, naming the field on failure.
pub fn parse_time(field: &str, value: &str) -> Result<i64, ApiError> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            ApiError::field(
                field,
                format!("{value:?} is not an RFC 3339 time, e.g. 2026-11-23T09:30:00+08:00"),
            )
        })
}
