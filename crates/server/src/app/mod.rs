//! What every request handler shares: the state ([`AppState`]), the
//! request extractors ([`ApiJson`], [`ApiPath`], [`ApiQuery`], [`Auth`]) and
//! the lookup of the account behind a token.
//!
//! Every rejection (bad JSON, bad path, bad query) is rendered in the one
//! JSON error shape of [`AppError`].

mod extract;
pub mod files;

pub use extract::{ApiJson, ApiPath, ApiQuery, Auth};

use std::sync::{Arc, Mutex, RwLock};

use switchboard_core::categorize::Categorizer;
use switchboard_core::ratelimit::FailureLimiter;
use switchboard_core::tags::AutoTagger;
use switchboard_core::{AgentStatus, Role};

use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::rows;
use crate::store::db;
use crate::store::Store;

/// JSON request bodies larger than this get 413.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    categorizer: Arc<RwLock<Option<Arc<Categorizer>>>>,
    /// This instance's copy of the learned classifier.
    pub classifier: crate::classifier::ModelCache,
    /// Failed-login limits, per account and per address.
    pub(crate) limits: Arc<Mutex<Limits>>,
    trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// Claims being decided right now, by conversation (see `conversations::claim`).
    pub(crate) claims_in_flight: Arc<Mutex<std::collections::HashMap<String, ClaimWatch>>>,
    /// What this instance's streams and jobs report for health details.
    pub probes: Arc<crate::probes::Probes>,
    /// This instance's name in the background jobs' leases.
    pub instance: Arc<str>,
    /// Where inbound messages wait while the database is away (none: they
    /// are answered 503).
    pub spool: Option<Arc<crate::store::spool::Spool>>,
    /// The team's retention for desktop caches, in days (see
    /// [`crate::Config::desktop_cache_days`]).
    pub desktop_cache_days: u32,
    /// Upload limits and staging (`POST /api/v1/uploads`).
    pub uploads: Arc<crate::ops::uploads::UploadConfig>,
    /// The key and lifetimes of signed public media links.
    pub media: Arc<crate::outbox::media::MediaConfig>,
}

/// Resolved conversations a desktop cache keeps, in days, unless the team
/// sets `desktop_cache_days`.
pub const DEFAULT_DESKTOP_CACHE_DAYS: u32 = 90;

/// The outcome of an in-flight claim: `Some(holder)` once decided (who
/// holds it and its category; `None` inside when it was refused for reasons
/// of its own, or the holder's category is not known).
pub(crate) type ClaimWatch = tokio::sync::watch::Receiver<Option<Option<crate::store::hub::Held>>>;

/// Whether the warning about an untrusted proxy was logged (once per process).
static FORWARDED_WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Failed-login limiters.
pub(crate) struct Limits {
    /// Per (account, client address): an address guessing one account's
    /// password. No limit counts an account's failures from everywhere: a
    /// flood from some addresses would lock its owner out from theirs.
    pub(crate) by_account_address: FailureLimiter,
    /// Per client address, whatever the accounts.
    pub(crate) by_address: FailureLimiter,
}

impl AppState {
    /// State over a store.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            categorizer: Arc::new(RwLock::new(None)),
            classifier: crate::classifier::ModelCache::new(Default::default()),
            limits: Arc::new(Mutex::new(Limits {
                // 10 failures per account from one address and 30 per
                // address per 15 minutes.
                by_account_address: FailureLimiter::new(10, 900),
                by_address: FailureLimiter::new(30, 900),
            })),
            trusted_proxies: Arc::new(Vec::new()),
            claims_in_flight: Arc::new(Mutex::new(std::collections::HashMap::new())),
            probes: Arc::default(),
            instance: crate::store::new_id().into(),
            spool: None,
            desktop_cache_days: DEFAULT_DESKTOP_CACHE_DAYS,
            uploads: Arc::default(),
            media: Arc::default(),
        }
    }

    /// Takes these upload settings and media links' key.
    pub fn with_files(
        mut self,
        uploads: crate::ops::uploads::UploadConfig,
        media: crate::outbox::media::MediaConfig,
    ) -> Self {
        self.uploads = Arc::new(uploads);
        self.media = Arc::new(media);
        self
    }

    /// Keeps resolved conversations in desktop caches for this many days.
    pub fn with_desktop_cache_days(mut self, days: u32) -> Self {
        self.desktop_cache_days = days;
        self
    }

    /// Names this instance (its leases' holder).
    pub fn with_instance(mut self, instance: &str) -> Self {
        self.instance = instance.into();
        self
    }

    /// Caps the event streams open at once.
    pub fn with_stream_caps(mut self, caps: crate::probes::StreamCaps) -> Self {
        self.probes = Arc::new(crate::probes::Probes::with_caps(caps));
        self
    }

    /// Keeps inbound messages in this spool while the database is away.
    pub fn with_spool(mut self, spool: Arc<crate::store::spool::Spool>) -> Self {
        self.spool = Some(spool);
        self
    }

    /// Uses these classifier settings.
    pub fn with_classifier(mut self, config: crate::classifier::ClassifierConfig) -> Self {
        self.classifier = crate::classifier::ModelCache::new(config);
        self
    }

    /// Believes `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = Arc::new(proxies);
        self
    }

    /// The client's address: the peer, or — when the peer is a trusted proxy —
    /// the rightmost `X-Forwarded-For` hop that is not a trusted proxy.
    pub fn client_address(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            if peer.is_loopback()
                && headers.contains_key("x-forwarded-for")
                && !FORWARDED_WARNED.swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                tracing::warn!(
                    "requests from {peer} carry X-Forwarded-For but no proxy is trusted: every \
                     client counts as {peer} in per-address limits; start with --trusted-proxy {peer}"
                );
            }
            return peer;
        }
        let hops: Vec<std::net::IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        hops.into_iter()
            .rev()
            .find(|ip| !self.trusted_proxies.contains(ip))
            .unwrap_or(peer)
    }

    /// The categorizer for new conversations: the compiled keyword rules
    /// (rebuilt after categories change) with the learned classifier behind
    /// them when a model exists.
    pub async fn categorizer(&self) -> AppResult<Arc<Categorizer>> {
        let rules = self.rules().await?;
        Ok(match self.classifier.learned(self.store.reader()).await {
            Some((learned, min)) => Arc::new(rules.with_learned(learned, min)),
            None => rules,
        })
    }

    async fn rules(&self) -> AppResult<Arc<Categorizer>> {
        if let Ok(guard) = self.categorizer.read() {
            if let Some(c) = guard.as_ref() {
                return Ok(c.clone());
            }
        }
        let mut conn = self.store.reader().acquire().await?;
        let cats = rows::categories(&mut conn).await?;
        let tags = AutoTagger::new(
            crate::ops::tags::list(&mut conn)
                .await?
                .into_iter()
                .map(|t| (t.id, t.keywords)),
        )
        .map_err(|e| AppError::Internal(format!("stored tag rule invalid: {e}")))?;
        let built = Categorizer::new(
            cats.into_iter()
                .map(|c| (c.category.id, c.category.keywords)),
        )
        .map_err(|e| AppError::Internal(format!("stored rule invalid: {e}")))?
        .with_tags(tags);
        let built = Arc::new(built);
        if let Ok(mut guard) = self.categorizer.write() {
            *guard = Some(built.clone());
        }
        Ok(built)
    }

    /// Forgets the compiled rules (categories' and tags').
    pub fn invalidate_categorizer(&self) {
        if let Ok(mut guard) = self.categorizer.write() {
            *guard = None;
        }
    }
}

/// Forgets the compiled category and tag rules whenever a category or tag
/// changes, through this instance or another (the event log reaches every
/// instance's hub), so a new conversation on any instance of a fleet is
/// categorized and tagged by the rules as they are now. Ends when the
/// server stops.
pub async fn follow_rule_changes(state: AppState) {
    use switchboard_api::events::kinds;
    use tokio::sync::broadcast::error::RecvError;
    let hub = state.store.hub().clone();
    let mut rx = hub.subscribe();
    let mut closed = std::pin::pin!(hub.closed());
    loop {
        tokio::select! {
            got = rx.recv() => match got {
                Ok(e) => {
                    if matches!(
                        e.event.kind.as_str(),
                        kinds::CATEGORY_UPDATED | kinds::TAG_UPDATED | kinds::TAG_DELETED
                    ) {
                        state.invalidate_categorizer();
                    }
                }
                // Some went by unseen: one of them may have been a rule.
                Err(RecvError::Lagged(_)) => state.invalidate_categorizer(),
                Err(RecvError::Closed) => return,
            },
            _ = &mut closed => return,
        }
    }
}

/// Looks up the live account behind a token: from this instance's
/// [`crate::caller::CallerCache`] when it has it, else from the database.
pub async fn caller_for_token(state: &AppState, token: &str) -> AppResult<Caller> {
    let hash = crate::auth::token_hash(token);
    let cache = state.store.hub().callers();
    if let Some(caller) = cache.get(&hash, state.store.now().timestamp_millis()) {
        return Ok(caller);
    }
    let generation = cache.generation();
    let (caller, expires_at) = load_caller(state, hash).await?;
    cache.put(generation, caller.clone(), expires_at);
    Ok(caller)
}

/// Reads the account behind a token hash from the database, refusing a
/// revoked or expired session; with the session's expiry.
pub async fn load_caller(state: &AppState, hash: String) -> AppResult<(Caller, i64)> {
    let mut conn = state.store.reader().acquire().await?;
    let row = db::query(
        "SELECT a.id, a.name, a.role, a.status, t.expires_at, t.revoked_at FROM tokens t JOIN agents a ON a.id = t.agent_id WHERE t.hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::Unauthorized("invalid token; log in again"))?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    if revoked_at.is_some() {
        return Err(AppError::Unauthorized(
            "this session was logged out; log in again",
        ));
    }
    if expires_at <= state.store.now().timestamp_millis() {
        return Err(AppError::Unauthorized("this session expired; log in again"));
    }
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    let categories = rows::agent_categories(&mut conn, &id).await?;
    let caller = Caller {
        name: row.try_get("name")?,
        role: Role::parse(&role).map_err(|e| AppError::Internal(e.to_string()))?,
        status: AgentStatus::parse(&status).map_err(|e| AppError::Internal(e.to_string()))?,
        categories,
        token_hash: hash,
        id,
    };
    Ok((caller, expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn state(proxies: Vec<std::net::IpAddr>) -> AppState {
        let dir = std::env::temp_dir().join(format!("sb-addr-{}", crate::store::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = Store::open(&url, crate::clock::Clock::system())
            .await
            .unwrap();
        AppState::new(store).with_trusted_proxies(proxies)
    }

    #[tokio::test]
    async fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "10.9.9.9, 203.0.113.7".parse().unwrap());
        let trusting = state(vec![proxy]).await;
        assert_eq!(
            trusting.client_address(proxy, &h),
            "203.0.113.7".parse::<std::net::IpAddr>().unwrap()
        );
        let other: std::net::IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            trusting.client_address(other, &h),
            other,
            "an untrusted peer cannot spoof"
        );
        let plain = state(vec![]).await;
        assert_eq!(plain.client_address(proxy, &h), proxy);
        let empty = axum::http::HeaderMap::new();
        assert_eq!(trusting.client_address(proxy, &empty), proxy);
    }
}
