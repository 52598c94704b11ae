//! Signed, expiring public links to a reply's files: what Twilio fetches
//! for an MMS (`MediaUrl`), and what an SMS carries as a link where MMS
//! cannot be sent. `GET /public/media/{id}?expires=UNIX&sig=HEX`, where
//! `sig` is HMAC-SHA256 over `{id}\n{expires}` with the server's media key.
//!
//! The key is `SWITCHBOARD_MEDIA_URL_SECRET` (at least 32 characters), the
//! same on every instance of a fleet; unset, it is derived from the Twilio
//! auth token (which every instance sending texts has), so SMS works with
//! no setting of its own. With neither, no link can be made or checked.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::settings::{value, Settings};

/// How long an MMS link lasts unless `SWITCHBOARD_MEDIA_URL_TTL_SECS` says
/// otherwise (Twilio fetches at once; retries reach it within the hour).
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// How long a link in a text lasts unless `SWITCHBOARD_MEDIA_LINK_TTL_SECS`
/// says otherwise (a person may open it days later).
pub const DEFAULT_LINK_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Shortest secret taken.
const MIN_SECRET_CHARS: usize = 32;

/// The public path of a file's link (the id follows).
pub const PATH: &str = "/public/media/";

type HmacSha256 = Hmac<Sha256>;

/// Signing settings.
#[derive(Clone, Default)]
pub struct MediaConfig {
    /// The key (see the module docs); `None`: links are off.
    key: Option<Vec<u8>>,
    /// Lifetime of an MMS link.
    pub ttl: Option<Duration>,
    /// Lifetime of a link sent in a text.
    pub link_ttl: Option<Duration>,
}

impl std::fmt::Debug for MediaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaConfig")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("ttl", &self.ttl())
            .field("link_ttl", &self.link_ttl())
            .finish()
    }
}

/// Why a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a signature this server made (or links are off): 403.
    BadSignature,
    /// Signed, but past its time: 410.
    Expired,
}

impl MediaConfig {
    /// Reads `media_url_secret`, `media_url_ttl_secs`, `media_link_ttl_secs`.
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let mut c = Self::default();
        if let Some(secret) = value(&s.media_url_secret) {
            if secret.chars().count() < MIN_SECRET_CHARS {
                anyhow::bail!(
                    "SWITCHBOARD_MEDIA_URL_SECRET must be at least {MIN_SECRET_CHARS} characters"
                );
            }
            c.key = Some(secret.as_bytes().to_vec());
        }
        let secs = |name: &str, v: Option<&str>| -> anyhow::Result<Option<Duration>> {
            v.map(|v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=366 * 24 * 3600).contains(n))
                    .map(Duration::from_secs)
                    .ok_or_else(|| anyhow::anyhow!("{name} must be seconds from 1 to 31622400"))
            })
            .transpose()
        };
        c.ttl = secs(
            "SWITCHBOARD_MEDIA_URL_TTL_SECS",
            value(&s.media_url_ttl_secs),
        )?;
        c.link_ttl = secs(
            "SWITCHBOARD_MEDIA_LINK_TTL_SECS",
            value(&s.media_link_ttl_secs),
        )?;
        Ok(c)
    }

    /// Signs with `secret` (tests, tools).
    pub fn with_secret(mut self, secret: &str) -> Self {
        self.key = Some(secret.as_bytes().to_vec());
        self
    }

    /// Without a secret of its own, a key derived from the Twilio auth
    /// token (HMAC-SHA256 of a fixed label under it).
    pub fn or_derived_from(mut self, twilio_auth_token: Option<&str>) -> Self {
        if self.key.is_none() {
            self.key = twilio_auth_token.and_then(|t| {
                let mut mac = HmacSha256::new_from_slice(t.as_bytes()).ok()?;
                mac.update(b"switchboard public media links v1");
                Some(mac.finalize().into_bytes().to_vec())
            });
        }
        self
    }

    /// Whether links can be made.
    pub fn enabled(&self) -> bool {
        self.key.is_some()
    }

    /// An MMS link's lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl.unwrap_or(DEFAULT_TTL)
    }

    /// A text link's lifetime.
    pub fn link_ttl(&self) -> Duration {
        self.link_ttl.unwrap_or(DEFAULT_LINK_TTL)
    }

    fn mac(&self, id: &str, expires: i64) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(self.key.as_deref()?).ok()?;
        mac.update(id.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        Some(mac)
    }

    /// `{public_url}/public/media/{id}?expires=…&sig=…`, valid for `ttl`
    /// from `now`; `None` when links are off.
    pub fn url(
        &self,
        public_url: &str,
        id: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Option<String> {
        let expires = now
            .timestamp()
            .saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let sig = hex::encode(self.mac(id, expires)?.finalize().into_bytes());
        let id = url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
        Some(format!(
            "{}{PATH}{id}?expires={expires}&sig={sig}",
            public_url.trim_end_matches('/')
        ))
    }

    /// Checks a link's `expires` and `sig` for file `id` at `now`: the
    /// signature first (a changed `expires` is a bad signature), then the time.
    pub fn verify(
        &self,
        id: &str,
        expires: i64,
        sig: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let given = hex::decode(sig).map_err(|_| Refusal::BadSignature)?;
        let mac = self.mac(id, expires).ok_or(Refusal::BadSignature)?;
        mac.verify_slice(&given)
            .map_err(|_| Refusal::BadSignature)?;
        if now.timestamp() >= expires {
            return Err(Refusal::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parts(url: &str) -> (String, i64, String) {
        let u = url::Url::parse(url).unwrap();
        let id = u.path().strip_prefix(PATH).unwrap().to_owned();
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        (id, q["expires"].parse().unwrap(), q["sig"].clone())
    }

    #[test]
    fn a_link_holds_until_it_expires_and_only_as_signed() {
        let c = MediaConfig::default().with_secret(&"k".repeat(32));
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let url = c
            .url(
                "https://s.example.com/",
                "0190abc",
                now,
                Duration::from_secs(60),
            )
            .unwrap();
        assert!(
            url.starts_with("https://s.example.com/public/media/0190abc?expires="),
            "{url}"
        );
        let (id, expires, sig) = parts(&url);
        assert_eq!(c.verify(&id, expires, &sig, now), Ok(()));
        let later = now + chrono::Duration::seconds(60);
        assert_eq!(c.verify(&id, expires, &sig, later), Err(Refusal::Expired));
        assert_eq!(
            c.verify(&id, expires + 3600, &sig, now),
            Err(Refusal::BadSignature),
            "a longer life cannot be written in"
        );
        assert_eq!(
            c.verify("0190abd", expires, &sig, now),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            c.verify(&id, expires, "zz", now),
            Err(Refusal::BadSignature)
        );
        let other = MediaConfig::default().with_secret(&"j".repeat(32));
        assert_eq!(
            other.verify(&id, expires, &sig, now),
            Err(Refusal::BadSignature)
        );
        let off = MediaConfig::default();
        assert!(off.url("https://x", "a", now, DEFAULT_TTL).is_none());
        assert_eq!(
            off.verify(&id, expires, &sig, now),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn without_a_secret_the_key_comes_from_the_twilio_token() {
        let a = MediaConfig::default().or_derived_from(Some("token-a"));
        let b = MediaConfig::default().or_derived_from(Some("token-a"));
        let now = Utc::now();
        let url = a.url("https://x", "f1", now, DEFAULT_TTL).unwrap();
        let (id, expires, sig) = parts(&url);
        assert_eq!(
            b.verify(&id, expires, &sig, now),
            Ok(()),
            "every instance agrees"
        );
        let own = MediaConfig::default()
            .with_secret(&"s".repeat(32))
            .or_derived_from(Some("token-a"));
        assert!(
            own.verify(&id, expires, &sig, now).is_err(),
            "a secret wins"
        );
        assert!(!format!("{a:?}").contains("token-a"));
    }
}
