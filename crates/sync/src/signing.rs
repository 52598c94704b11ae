//! What signing in and out decide, without a window:
//!
//! - [`Transport::of`]: whether a server address keeps the password and the
//!   inbox private on the way. Plain `http://` to anything but this computer
//!   (127.0.0.0/8, `::1`, `localhost`) needs the person's explicit go-ahead
//!   before the password is sent ([`Transport::needs_confirmation`], with
//!   the words of the warning in [`Transport::warning`]).
//! - [`sign_out`]: what signing out does with this computer's copy of the
//!   account (the cache): deleted, unless it holds replies or notes not yet
//!   sent — then a person who asked to sign out is asked first, and a
//!   sign-out the server forced (token refused) keeps them for the same
//!   agent's next sign-in.

use std::net::IpAddr;

/// How a server address carries what the app sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// `https://`: encrypted all the way to the server.
    Encrypted,
    /// `http://` to this computer (127.0.0.0/8, `::1`, `localhost`): it
    /// never crosses a network.
    Loopback,
    /// `http://` to another host: anyone on the network in between can read
    /// and change it.
    Unencrypted {
        /// The host as the address names it.
        host: String,
    },
}

impl Transport {
    /// What `server_url` is; `None` when it is not an `http(s)://` address
    /// with a host.
    pub fn of(server_url: &str) -> Option<Transport> {
        let url = url::Url::parse(server_url.trim()).ok()?;
        let host = url.host()?;
        match url.scheme() {
            "https" => Some(Transport::Encrypted),
            "http" => {
                let loopback = match &host {
                    url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
                    url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
                    url::Host::Ipv6(ip) => {
                        ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
                    }
                };
                Some(if loopback {
                    Transport::Loopback
                } else {
                    Transport::Unencrypted {
                        host: host.to_string(),
                    }
                })
            }
            _ => None,
        }
    }

    /// Whether signing in needs the person's explicit go-ahead first.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self, Transport::Unencrypted { .. })
    }

    /// The warning the sign-in form shows before an unencrypted sign-in
    /// (plain text; the host is the one typed, shown as text).
    pub fn warning(&self) -> Option<String> {
        match self {
            Transport::Unencrypted { host } => Some(format!(
                "The connection to {host} is not encrypted (http://, not https://). Your \
                 password, your customers' messages and everything else you do in the app would \
                 cross the network readable, and changeable, by anyone in between. Ask your \
                 admin for the server's https:// address. Sign in over this connection only on \
                 a network you trust."
            )),
            _ => None,
        }
    }
}

/// Why a session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutCause {
    /// The person chose to sign out; `discard_unsent` once they agreed that
    /// replies and notes not yet sent go too.
    Asked {
        /// They agreed to lose what is not sent.
        discard_unsent: bool,
    },
    /// The server no longer accepts the token (revoked, expired, password
    /// changed): the app signs out by itself.
    TokenRefused,
}

/// What to do with the account's cache on sign-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOut {
    /// Sign out and delete the cache: nothing of the account stays on this
    /// computer; the next sign-in rebuilds it from the server.
    DeleteCache,
    /// Sign out and keep the cache: it holds unsent writing that the same
    /// agent's next sign-in on the same server sends (another agent's
    /// sign-in drops it).
    KeepCache,
    /// Do not sign out yet: ask the person, with these words, whether the
    /// unsent replies and notes may go.
    Ask(String),
}

/// What signing out does, given why and how many replies and notes the
/// outbox holds unsent (waiting or failed).
pub fn sign_out(cause: SignOutCause, unsent_replies: usize, unsent_notes: usize) -> SignOut {
    let unsent = unsent_replies + unsent_notes;
    match cause {
        _ if unsent == 0 => SignOut::DeleteCache,
        SignOutCause::Asked {
            discard_unsent: true,
        } => SignOut::DeleteCache,
        SignOutCause::Asked {
            discard_unsent: false,
        } => SignOut::Ask(unsent_question(unsent_replies, unsent_notes)),
        SignOutCause::TokenRefused => SignOut::KeepCache,
    }
}

fn unsent_question(replies: usize, notes: usize) -> String {
    let count = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let what = match (replies, notes) {
        (r, 0) => count(r, "reply", "replies"),
        (0, n) => count(n, "note", "notes"),
        (r, n) => format!(
            "{} and {}",
            count(r, "reply", "replies"),
            count(n, "note", "notes")
        ),
    };
    let (has, them) = if replies + notes == 1 {
        ("has", "it")
    } else {
        ("have", "them")
    };
    format!(
        "{what} {has} not been sent yet. Signing out deletes this computer's copy of your inbox, \
         {them} included. Stay signed in to send {them} once the server can be reached (or copy \
         the text), or sign out and delete {them}."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_this_computer_sign_in_as_they_are() {
        for url in [
            "https://support.example.com",
            "https://203.0.113.7:8443/switchboard",
            "HTTPS://Support.Example.com",
        ] {
            assert_eq!(Transport::of(url), Some(Transport::Encrypted), "{url}");
        }
        for url in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:8080",
            "http://LocalHost",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]:8080",
        ] {
            let t = Transport::of(url);
            assert_eq!(t, Some(Transport::Loopback), "{url}");
            assert!(!t.unwrap().needs_confirmation());
        }
    }

    #[test]
    fn plain_http_elsewhere_needs_a_go_ahead_and_says_why() {
        for (url, host) in [
            ("http://support.example.com", "support.example.com"),
            ("http://10.0.0.5:8080", "10.0.0.5"),
            ("http://192.168.1.20:8080/", "192.168.1.20"),
            ("http://0.0.0.0:8080", "0.0.0.0"),
            ("http://[2001:db8::1]:8080", "[2001:db8::1]"),
            ("http://localhost.example.com", "localhost.example.com"),
            ("http://127.0.0.1.example.com", "127.0.0.1.example.com"),
            ("http://foo.localhost", "foo.localhost"),
            // Whatever hides before an `@` or a backslash, the host is what
            // the connection goes to.
            ("http://localhost@evil.example", "evil.example"),
            ("http://evil.example\\@localhost", "evil.example"),
        ] {
            let t = Transport::of(url).unwrap_or_else(|| panic!("{url}"));
            assert_eq!(
                t,
                Transport::Unencrypted {
                    host: host.to_owned()
                },
                "{url}"
            );
            assert!(t.needs_confirmation());
            let warning = t.warning().expect("a warning");
            assert!(warning.contains(host), "{warning}");
            assert!(warning.contains("not encrypted"), "{warning}");
            assert!(warning.contains("https://"), "{warning}");
        }
        assert_eq!(Transport::Encrypted.warning(), None);
        assert_eq!(Transport::Loopback.warning(), None);
    }

    #[test]
    fn anything_but_an_http_address_with_a_host_is_none() {
        for url in [
            "",
            "support.example.com",
            "ftp://example.com",
            "file:///etc/passwd",
            "http://",
        ] {
            assert_eq!(Transport::of(url), None, "{url}");
        }
    }

    #[test]
    fn sign_out_deletes_the_cache_unless_writing_would_be_lost() {
        let asked = SignOutCause::Asked {
            discard_unsent: false,
        };
        let confirmed = SignOutCause::Asked {
            discard_unsent: true,
        };
        assert_eq!(sign_out(asked, 0, 0), SignOut::DeleteCache);
        assert_eq!(sign_out(confirmed, 0, 0), SignOut::DeleteCache);
        assert_eq!(sign_out(confirmed, 2, 1), SignOut::DeleteCache);
        assert_eq!(
            sign_out(SignOutCause::TokenRefused, 0, 0),
            SignOut::DeleteCache
        );
        assert_eq!(
            sign_out(SignOutCause::TokenRefused, 1, 0),
            SignOut::KeepCache
        );
        let SignOut::Ask(question) = sign_out(asked, 2, 1) else {
            panic!("unsent writing is not dropped without asking");
        };
        assert!(
            question.starts_with("2 replies and 1 note have not been sent yet"),
            "{question}"
        );
    }

    #[test]
    fn the_question_counts_what_would_be_lost() {
        let ask = |r, n| match sign_out(
            SignOutCause::Asked {
                discard_unsent: false,
            },
            r,
            n,
        ) {
            SignOut::Ask(q) => q,
            other => panic!("{other:?}"),
        };
        assert!(ask(1, 0).starts_with("1 reply has not been sent yet"));
        assert!(ask(1, 0).contains("delete it."));
        assert!(ask(0, 3).starts_with("3 notes have not been sent yet"));
        assert!(ask(0, 3).contains("delete them."));
        assert!(ask(2, 0).starts_with("2 replies have"));
        assert!(ask(1, 1).starts_with("1 reply and 1 note have"));
    }
}
