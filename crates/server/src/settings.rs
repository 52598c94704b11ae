//! The server's settings: one typed struct ([`Settings`]), loaded by figment
//! from an optional TOML file (`serve --config PATH`, or
//! `SWITCHBOARD_CONFIG`) and the `SWITCHBOARD_*` environment, which wins, so
//! one setting can be overridden for a run.
//!
//! A key is an environment name without `SWITCHBOARD_`, in lower case; in the
//! file a table prefixes its keys, so these two say the same:
//!
//! ```toml
//! twilio_auth_token = "…"
//!
//! [twilio]
//! auth_token = "…"
//! ```
//!
//! Strings, numbers and booleans are taken as written (a boolean as `on` /
//! `off`); an array becomes a comma-separated list (`widget_origins =
//! ["https://a.example", "https://b.example"]`); an empty value counts as
//! unset. The struct's fields are the list of settings: an unknown key in
//! the file is an error that names it (a typo must not silently leave a
//! channel unconfigured), while other `SWITCHBOARD_*` variables of the
//! environment (the test suites', the log format's) are not settings and are
//! left alone. Values are never logged: errors name keys, and `Debug` shows
//! which settings are set, not what they are. Each part of the server reads
//! its own settings from here (`EmailConfig::from_settings`, …) and checks
//! them with messages that name the environment variable.

use std::collections::BTreeSet;
use std::path::Path;

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Deserializer, Serialize};

/// Prefix of the settings' environment variables.
pub const ENV_PREFIX: &str = "SWITCHBOARD_";

/// One setting's value, as text (see the module docs for how file values
/// become text). Empty means unset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Setting(String);

impl Setting {
    /// The value, trimmed; `None` when it is empty.
    pub fn get(&self) -> Option<&str> {
        let v = self.0.trim();
        (!v.is_empty()).then_some(v)
    }
}

impl Serialize for Setting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Setting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        fn text(v: &Value) -> Option<String> {
            match v {
                Value::String(_, s) => Some(s.clone()),
                Value::Char(_, c) => Some(c.to_string()),
                Value::Bool(_, b) => Some(if *b { "on" } else { "off" }.to_owned()),
                Value::Num(_, n) => n
                    .to_i128()
                    .map(|i| i.to_string())
                    .or_else(|| n.to_u128().map(|u| u.to_string()))
                    .or_else(|| n.to_f64().map(|f| f.to_string())),
                Value::Array(_, items) => items
                    .iter()
                    .map(text)
                    .collect::<Option<Vec<_>>>()
                    .map(|v| v.join(",")),
                Value::Empty(..) => Some(String::new()),
                Value::Dict(..) => None,
            }
        }
        let v = <Value as Deserialize>::deserialize(d)?;
        text(&v).map(Setting).ok_or_else(|| {
            serde::de::Error::custom("use a string, a number, a boolean or an array of those")
        })
    }
}

/// Every setting of the server, by key.
#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Settings {
    pub listen: Option<Setting>,
    pub database_url: Option<Setting>,
    pub trusted_proxies: Option<Setting>,
    pub public_url: Option<Setting>,
    pub email_inbound_secret: Option<Setting>,
    pub smtp_url: Option<Setting>,
    pub smtp_from: Option<Setting>,
    pub imap_url: Option<Setting>,
    pub imap_poll_secs: Option<Setting>,
    pub twilio_account_sid: Option<Setting>,
    pub twilio_auth_token: Option<Setting>,
    pub twilio_from: Option<Setting>,
    pub twilio_api_base: Option<Setting>,
    pub twilio_mms: Option<Setting>,
    pub upload_max_bytes: Option<Setting>,
    pub media_url_secret: Option<Setting>,
    pub media_url_ttl_secs: Option<Setting>,
    pub media_link_ttl_secs: Option<Setting>,
    pub widget_origins: Option<Setting>,
    pub widget_starts_per_hour: Option<Setting>,
    pub widget_messages_per_minute: Option<Setting>,
    pub widget_starts_per_minute: Option<Setting>,
    pub widget_visitor_idle_days: Option<Setting>,
    pub spool_dir: Option<Setting>,
    pub metrics_token: Option<Setting>,
    pub metrics_listen: Option<Setting>,
    pub sse_streams_per_holder: Option<Setting>,
    pub sse_streams_total: Option<Setting>,
    pub desktop_cache_days: Option<Setting>,
    pub log_format: Option<Setting>,
    pub bot_enabled: Option<Setting>,
    pub bot_name: Option<Setting>,
    pub bot_min_score: Option<Setting>,
    pub bot_max_unanswered: Option<Setting>,
    pub bot_token: Option<Setting>,
    pub classifier_min_confidence: Option<Setting>,
    pub classifier_min_examples: Option<Setting>,
    pub classifier_retrain_secs: Option<Setting>,
    pub classifier_retrain_after: Option<Setting>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Which settings are set; never their values (secrets among them).
        f.debug_struct("Settings")
            .field("set", &self.names_set())
            .finish_non_exhaustive()
    }
}

/// Why the settings were refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl Settings {
    /// The settings of the environment `env` (name, value pairs) over those
    /// of the TOML file at `file`, if any.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(SettingsError(format!(
                    "cannot read the configuration file {}: no such file",
                    path.display()
                )));
            }
            figment = figment.merge(Flattened(Toml::file_exact(path)));
        }
        figment = figment.merge(EnvSettings::from(env));
        figment.extract().map_err(|e| SettingsError(describe(e)))
    }

    /// The settings of this process: its environment over the file.
    pub fn from_process(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load(file, std::env::vars())
    }

    /// The keys of the settings that hold a value.
    pub fn names_set(&self) -> Vec<String> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map
                .into_iter()
                .filter(|(_, v)| v.as_str().is_some_and(|t| !t.trim().is_empty()))
                .map(|(k, _)| k)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The text of a setting, trimmed, `None` when unset or empty.
pub fn value(s: &Option<Setting>) -> Option<&str> {
    s.as_ref().and_then(Setting::get)
}

/// A figment error in words that name keys and files, never values.
fn describe(e: figment::Error) -> String {
    use figment::error::Kind;
    let mut out = Vec::new();
    for e in e {
        let key = e.path.join("_");
        let source = e
            .metadata
            .as_ref()
            .map(|m| match &m.source {
                Some(src) => format!(" (in {src})"),
                None => format!(" (in {})", m.name),
            })
            .unwrap_or_default();
        let what = match &e.kind {
            Kind::UnknownField(field, _) => format!(
                "unknown setting `{field}` (it would be {ENV_PREFIX}{}, which the server does not read)",
                field.to_ascii_uppercase()
            ),
            Kind::Message(m) if m.contains("TOML") || m.contains("parse") => {
                format!(
                    "the configuration file is not valid TOML: {}",
                    without_excerpt(m)
                )
            }
            Kind::Message(m) => format!("setting `{key}`: {m}"),
            _ => format!("setting `{key}`: use a string, a number, a boolean or an array of those"),
        };
        out.push(format!("{what}{source}"));
    }
    out.join("; ")
}

/// A TOML parser's message without the excerpt of the file it quotes (the
/// line in error, which may hold a secret): `TOML parse error at line 1,
/// column 29: invalid basic string`.
fn without_excerpt(m: &str) -> String {
    m.lines()
        .map(str::trim)
        .filter(|l| {
            let quoted = l.split_once('|').is_some_and(|(n, _)| {
                n.trim().is_empty() || n.trim().bytes().all(|b| b.is_ascii_digit())
            });
            !l.is_empty() && !quoted
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// A provider whose tables become prefixes: `[twilio] auth_token` is
/// `twilio_auth_token`.
struct Flattened<P>(P);

impl<P: Provider> Provider for Flattened<P> {
    fn metadata(&self) -> Metadata {
        self.0.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        fn flatten(prefix: &str, dict: &Dict, out: &mut Dict) {
            for (key, value) in dict {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}_{key}")
                };
                match value {
                    Value::Dict(_, inner) => flatten(&key, inner, out),
                    v => {
                        out.insert(key, v.clone());
                    }
                }
            }
        }
        Ok(self
            .0
            .data()?
            .into_iter()
            .map(|(profile, dict)| {
                let mut flat = Dict::new();
                flatten("", &dict, &mut flat);
                (profile, flat)
            })
            .collect())
    }
}

/// The `SWITCHBOARD_*` variables that are settings, as text: unlike
/// figment's `Env`, which reads `0123` as the number 123, a value is kept
/// as written (a token of digits keeps its leading zero).
struct EnvSettings(Dict);

impl<I: IntoIterator<Item = (String, String)>> From<I> for EnvSettings {
    fn from(vars: I) -> Self {
        let known = field_names();
        let mut dict = Dict::new();
        for (name, value) in vars {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if known.contains(key.as_str()) {
                dict.insert(key, Value::from(value));
            }
        }
        EnvSettings(dict)
    }
}

impl Provider for EnvSettings {
    fn metadata(&self) -> Metadata {
        Metadata::named("the environment")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Map::from([(Profile::Default, self.0.clone())]))
    }
}

/// The keys of [`Settings`], read from its `Deserialize` (so the struct is
/// the only list of settings).
fn field_names() -> BTreeSet<&'static str> {
    use serde::de::{self, Visitor};
    struct Names(Option<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for &mut Names {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("only a struct's field names"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(de::Error::custom("only a struct's field names"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut names = Names(None);
    let _ = Settings::deserialize(&mut names);
    names.0.unwrap_or_default().iter().copied().collect()
}

#[cfg(test)]
pub(crate) mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    #[test]
    fn keys_and_tables_are_the_same_settings() {
        let f = file(
            r#"
            public_url = "https://support.example.com"
            listen = "0.0.0.0:8080"
            [twilio]
            account_sid = "AC123"
            auth_token = "secret"
            [widget]
            origins = ["https://a.example", "https://b.example"]
            starts_per_hour = 40
            [bot]
            enabled = false
            min_score = 0.75
            "#,
        );
        let s = Settings::load(Some(f.path()), no_env()).unwrap();
        assert_eq!(value(&s.public_url), Some("https://support.example.com"));
        assert_eq!(value(&s.listen), Some("0.0.0.0:8080"));
        assert_eq!(value(&s.twilio_account_sid), Some("AC123"));
        assert_eq!(value(&s.twilio_auth_token), Some("secret"));
        assert_eq!(
            value(&s.widget_origins),
            Some("https://a.example,https://b.example")
        );
        assert_eq!(value(&s.widget_starts_per_hour), Some("40"));
        assert_eq!(value(&s.bot_enabled), Some("off"));
        assert_eq!(value(&s.bot_min_score), Some("0.75"));
        assert_eq!(s.names_set().len(), 8);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_by_name() {
        let f = file("twilio_auth_tokn = \"x\"");
        let e = Settings::load(Some(f.path()), no_env())
            .unwrap_err()
            .to_string();
        assert!(e.contains("twilio_auth_tokn"), "{e}");
        assert!(e.contains("SWITCHBOARD_TWILIO_AUTH_TOKN"), "{e}");
        let f = file("[smtp]\nurl = { nested = 1 }");
        let e = Settings::load(Some(f.path()), no_env())
            .unwrap_err()
            .to_string();
        assert!(e.contains("smtp_url"), "{e}");
        let f = file("listen = ");
        assert!(Settings::load(Some(f.path()), no_env()).is_err());
    }

    #[test]
    fn the_environment_wins_over_the_file_and_other_variables_are_not_settings() {
        let f = file("smtp_from = \"file@example.com\"\nimap_poll_secs = 10");
        let env = vec![
            (
                "SWITCHBOARD_SMTP_FROM".to_owned(),
                "env@example.com".to_owned(),
            ),
            ("SWITCHBOARD_BOT_TOKEN".to_owned(), "0123".to_owned()),
            (
                "SWITCHBOARD_TEST_DATABASE".to_owned(),
                "postgres".to_owned(),
            ),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let s = Settings::load(Some(f.path()), env).unwrap();
        assert_eq!(value(&s.smtp_from), Some("env@example.com"));
        assert_eq!(value(&s.imap_poll_secs), Some("10"));
        assert_eq!(value(&s.bot_token), Some("0123"), "kept as written");
        let s = Settings::load(None, vec![("SWITCHBOARD_BOT_NAME".into(), "  ".into())]).unwrap();
        assert_eq!(value(&s.bot_name), None, "empty counts as unset");
    }

    #[test]
    fn errors_and_debug_never_carry_values() {
        let f = file("[twilio]\nauth_tokn = \"hunter2\"");
        let e = Settings::load(Some(f.path()), no_env())
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
        let s = Settings::load(
            None,
            vec![("SWITCHBOARD_TWILIO_AUTH_TOKEN".into(), "hunter2".into())],
        )
        .unwrap();
        let d = format!("{s:?}");
        assert!(
            d.contains("twilio_auth_token") && !d.contains("hunter2"),
            "{d}"
        );
        assert_eq!(s.names_set(), ["twilio_auth_token"]);
    }

    #[test]
    fn every_field_is_known_to_the_environment() {
        assert_eq!(field_names().len(), 39);
        assert!(field_names().contains("classifier_retrain_after"));
    }
}
