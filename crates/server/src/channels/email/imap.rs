//! IMAP polling: one instance of the fleet (the holder of the `email_imap`
//! lease) watches a mailbox and feeds every unseen message through
//! [`super::inbound::receive`] — the same path as the inbound endpoint — and
//! marks it `\Seen` only once it is stored. It waits with IDLE when the
//! server offers it (woken the moment mail arrives), else polls every
//! `imap_poll`. Connection failures are retried with a growing pause.

use std::sync::Arc;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::Session;
use chrono::Duration as ChronoDuration;
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::EmailConfig;
use crate::app::AppState;
use crate::background::acquire_lease;
use crate::error::AppError;
use crate::store::op;

/// Messages taken per round (the rest follow in the next one).
const PER_ROUND: usize = 50;
/// Longest IDLE before renewing the lease and re-checking.
const IDLE_SLICE: Duration = Duration::from_secs(20);

/// How `SWITCHBOARD_IMAP_URL` connects.
#[derive(Clone)]
pub struct ImapSettings {
    host: String,
    port: u16,
    tls: bool,
    user: String,
    password: String,
    mailbox: String,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("mailbox", &self.mailbox)
            .finish()
    }
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl ImapSettings {
    /// `imaps://user:pass@host[:993][/MAILBOX]` or `imap://…` (plain, port 143).
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        let url =
            url::Url::parse(s).map_err(|_| anyhow::anyhow!("SWITCHBOARD_IMAP_URL is not a URL"))?;
        let (tls, default_port) = match url.scheme() {
            "imaps" => (true, 993),
            "imap" => (false, 143),
            other => {
                anyhow::bail!("SWITCHBOARD_IMAP_URL: scheme {other}:// is not imap:// or imaps://")
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow::anyhow!("SWITCHBOARD_IMAP_URL has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let user = decode(url.username());
        if user.is_empty() {
            anyhow::bail!("SWITCHBOARD_IMAP_URL needs a user: imaps://user:password@host");
        }
        let mailbox = decode(url.path().trim_start_matches('/'));
        let mailbox = if mailbox.is_empty() {
            "INBOX".to_owned()
        } else {
            mailbox
        };
        if mailbox.contains(['\r', '\n', '"', '\\']) {
            anyhow::bail!("SWITCHBOARD_IMAP_URL: the mailbox name may not contain quotes, backslashes or line breaks");
        }
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            user,
            password: decode(url.password().unwrap_or("")),
            mailbox,
        })
    }
}

/// The poller of one instance: works while it holds the lease.
pub async fn run(state: AppState, config: Arc<EmailConfig>, instance: String) {
    let settings = match config.imap_url.as_deref().map(ImapSettings::parse) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            tracing::error!(error = %e, "IMAP polling disabled");
            return;
        }
        None => return,
    };
    let poll = config.imap_poll.max(Duration::from_secs(1));
    let ttl =
        ChronoDuration::from_std(poll.max(IDLE_SLICE) * 3).unwrap_or(ChronoDuration::seconds(90));
    let mut pause = Duration::from_secs(1);
    loop {
        match holds_lease(&state, &instance, ttl).await {
            Err(()) => return,
            Ok(false) => {
                tokio::time::sleep(poll.min(Duration::from_secs(5))).await;
                continue;
            }
            Ok(true) => {}
        }
        let result = if settings.tls {
            match connect_tls(&settings).await {
                Ok(s) => serve(s, &state, &settings, &instance, ttl, poll).await,
                Err(e) => Err(e),
            }
        } else {
            match connect_plain(&settings).await {
                Ok(s) => serve(s, &state, &settings, &instance, ttl, poll).await,
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(Stop::StoreClosed) => return,
            Ok(Stop::LeaseLost) => pause = Duration::from_secs(1),
            Err(e) => {
                state
                    .probes
                    .imap_failed(state.store.now(), format!("{e:#}"));
                tracing::warn!(host = %settings.host, error = %e, retry_in = ?pause, "IMAP polling failed");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(300));
            }
        }
    }
}

enum Stop {
    StoreClosed,
    LeaseLost,
}

/// Ok(true) while we hold the lease; Err when the store is gone.
async fn holds_lease(state: &AppState, instance: &str, ttl: ChronoDuration) -> Result<bool, ()> {
    let holder = instance.to_owned();
    match state
        .store
        .write(op(move |tx| {
            Box::pin(async move { acquire_lease(tx, "email_imap", &holder, ttl).await })
        }))
        .await
    {
        Ok(b) => Ok(b),
        Err(AppError::ShuttingDown) => Err(()),
        Err(e) => {
            tracing::warn!(error = %e, "IMAP lease check failed");
            Ok(false)
        }
    }
}

async fn connect_plain(s: &ImapSettings) -> anyhow::Result<Session<TcpStream>> {
    let tcp = TcpStream::connect((s.host.as_str(), s.port)).await?;
    login(tcp, s).await
}

async fn connect_tls(
    s: &ImapSettings,
) -> anyhow::Result<Session<tokio_rustls::client::TlsStream<TcpStream>>> {
    use tokio_rustls::rustls;
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(s.host.clone())?;
    let tcp = TcpStream::connect((s.host.as_str(), s.port)).await?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    login(tls, s).await
}

async fn login<T>(stream: T, s: &ImapSettings) -> anyhow::Result<Session<T>>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut client = async_imap::Client::new(stream);
    let greeting = tokio::time::timeout(Duration::from_secs(30), client.read_response()).await??;
    if greeting.is_none() {
        anyhow::bail!("the IMAP server closed the connection before its greeting");
    }
    let session = tokio::time::timeout(Duration::from_secs(30), client.login(&s.user, &s.password))
        .await?
        .map_err(|(e, _)| anyhow::anyhow!("IMAP login as {} failed: {e}", s.user))?;
    Ok(session)
}

/// Polls one connected session until the lease is lost, the store closes or
/// the connection fails.
async fn serve<T>(
    mut session: Session<T>,
    state: &AppState,
    s: &ImapSettings,
    instance: &str,
    ttl: ChronoDuration,
    poll: Duration,
) -> anyhow::Result<Stop>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let idle = session.capabilities().await?.has_str("IDLE");
    session.select(&s.mailbox).await?;
    tracing::info!(host = %s.host, mailbox = %s.mailbox, idle, "IMAP polling started");
    loop {
        match holds_lease(state, instance, ttl).await {
            Err(()) => return Ok(Stop::StoreClosed),
            Ok(false) => {
                let _ = session.logout().await;
                return Ok(Stop::LeaseLost);
            }
            Ok(true) => {}
        }
        if let Some(stop) = take_unseen(&mut session, state).await? {
            return Ok(stop);
        }
        state.probes.imap_ok(state.store.now());
        if idle {
            let mut handle = session.idle();
            handle.init().await?;
            let (wait, _stop) = handle.wait_with_timeout(IDLE_SLICE);
            match wait.await? {
                IdleResponse::NewData(_) => tracing::debug!("IMAP IDLE: new data"),
                IdleResponse::Timeout | IdleResponse::ManualInterrupt => {}
            }
            session = handle.done().await?;
        } else {
            tokio::time::sleep(poll).await;
            session.noop().await?;
        }
    }
}

/// Stores every unseen message (up to [`PER_ROUND`]), marking each seen after
/// it is stored. `Some(stop)` when the store is gone.
async fn take_unseen<T>(session: &mut Session<T>, state: &AppState) -> anyhow::Result<Option<Stop>>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut uids: Vec<u32> = session.uid_search("UNSEEN").await?.into_iter().collect();
    uids.sort_unstable();
    for uid in uids.into_iter().take(PER_ROUND) {
        let raw: Option<Vec<u8>> = {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await?
                .try_collect()
                .await?;
            fetches.iter().find_map(|f| f.body().map(<[u8]>::to_vec))
        };
        let Some(raw) = raw else {
            continue;
        };
        match super::inbound::receive(state, raw).await {
            Ok(r) => {
                tracing::info!(uid, conversation_id = %r.conversation_id, duplicate = r.duplicate, "IMAP message stored");
            }
            Err(AppError::ShuttingDown) => return Ok(Some(Stop::StoreClosed)),
            Err(e) => {
                // Not marked seen: it is tried again next round.
                tracing::warn!(uid, error = %e, "IMAP message not stored; will retry");
                continue;
            }
        }
        let _: Vec<_> = session
            .uid_store(uid.to_string(), "+FLAGS (\\Seen)")
            .await?
            .try_collect()
            .await?;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_urls_parse() {
        let s = ImapSettings::parse("imaps://me%40example.com:s3cr%2Ft@imap.example.com").unwrap();
        assert_eq!((s.port, s.tls, s.mailbox.as_str()), (993, true, "INBOX"));
        assert_eq!(s.user, "me@example.com");
        assert_eq!(s.password, "s3cr/t");
        assert!(!format!("{s:?}").contains("s3cr"));
        let s = ImapSettings::parse("imap://u:p@127.0.0.1:1143/Support").unwrap();
        assert_eq!(
            (s.port, s.tls, s.mailbox.as_str()),
            (1143, false, "Support")
        );
        assert!(ImapSettings::parse("imap://127.0.0.1").is_err());
        assert!(ImapSettings::parse("pop3://u:p@x").is_err());
    }
}
