//! The server's configuration file: the same settings as the environment,
//! for deployments that keep them in one file (`serve --config PATH`, or
//! `SWITCHBOARD_CONFIG`).
//!
//! The file is TOML. A key is an environment name without `SWITCHBOARD_`, in
//! lower case; a table prefixes its keys, so these two say the same:
//!
//! ```toml
//! twilio_auth_token = "…"
//!
//! [twilio]
//! auth_token = "…"
//! ```
//!
//! Strings, numbers and booleans are taken as written; an array becomes a
//! comma-separated list (`widget_origins = ["https://a.example", "https://b.example"]`).
//! A variable set in the environment wins over the file, so one setting can
//! be overridden for a run. An unknown key is an error that names it (a typo
//! must not silently leave a channel unconfigured). Values are never logged.

use std::collections::BTreeMap;

/// Every setting the file may hold, by environment name.
pub const SETTINGS: &[&str] = &[
    "SWITCHBOARD_LISTEN",
    "SWITCHBOARD_DATABASE_URL",
    "SWITCHBOARD_TRUSTED_PROXIES",
    "SWITCHBOARD_PUBLIC_URL",
    "SWITCHBOARD_EMAIL_INBOUND_SECRET",
    "SWITCHBOARD_SMTP_URL",
    "SWITCHBOARD_SMTP_FROM",
    "SWITCHBOARD_IMAP_URL",
    "SWITCHBOARD_IMAP_POLL_SECS",
    "SWITCHBOARD_TWILIO_ACCOUNT_SID",
    "SWITCHBOARD_TWILIO_AUTH_TOKEN",
    "SWITCHBOARD_TWILIO_FROM",
    "SWITCHBOARD_TWILIO_API_BASE",
    "SWITCHBOARD_WIDGET_ORIGINS",
    "SWITCHBOARD_WIDGET_STARTS_PER_HOUR",
    "SWITCHBOARD_WIDGET_MESSAGES_PER_MINUTE",
    "SWITCHBOARD_BOT_ENABLED",
    "SWITCHBOARD_BOT_NAME",
    "SWITCHBOARD_BOT_MIN_SCORE",
    "SWITCHBOARD_BOT_MAX_UNANSWERED",
    "SWITCHBOARD_BOT_TOKEN",
    "SWITCHBOARD_CLASSIFIER_MIN_CONFIDENCE",
    "SWITCHBOARD_CLASSIFIER_MIN_EXAMPLES",
    "SWITCHBOARD_CLASSIFIER_RETRAIN_SECS",
    "SWITCHBOARD_CLASSIFIER_RETRAIN_AFTER",
];

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// Not TOML.
    #[error("the configuration file is not valid TOML: {0}")]
    Syntax(String),
    /// A key that names no setting.
    #[error("unknown setting `{key}` in the configuration file (it would be {env}, which the server does not read)")]
    Unknown {
        /// The key as written (with its table).
        key: String,
        /// The environment name it maps to.
        env: String,
    },
    /// A value that cannot be a setting (a date, a table inside an array…).
    #[error("setting `{0}`: use a string, a number, a boolean or an array of those")]
    Value(String),
}

/// The settings in `text`, by environment name.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, ConfigFileError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigFileError::Syntax(e.message().to_owned()))?;
    let mut out = BTreeMap::new();
    collect("", &table, &mut out)?;
    Ok(out)
}

fn collect(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ConfigFileError> {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}_{key}")
        };
        if let toml::Value::Table(inner) = value {
            collect(&key, inner, out)?;
            continue;
        }
        let env = format!("SWITCHBOARD_{}", key.to_ascii_uppercase());
        if !SETTINGS.contains(&env.as_str()) {
            return Err(ConfigFileError::Unknown { key, env });
        }
        let text = match value {
            toml::Value::Array(items) => items
                .iter()
                .map(|v| scalar(v).ok_or_else(|| ConfigFileError::Value(key.clone())))
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            v => scalar(v).ok_or_else(|| ConfigFileError::Value(key.clone()))?,
        };
        out.insert(env, text);
    }
    Ok(())
}

fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(if *b { "on" } else { "off" }.to_owned()),
        _ => None,
    }
}

/// The settings of `parse` that the environment does not already set: the
/// ones to apply.
pub fn not_in_env(
    settings: BTreeMap<String, String>,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    settings
        .into_iter()
        .filter(|(name, _)| env(name).is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_tables_map_to_environment_names() {
        let s = parse(
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
        )
        .unwrap();
        assert_eq!(s["SWITCHBOARD_PUBLIC_URL"], "https://support.example.com");
        assert_eq!(s["SWITCHBOARD_LISTEN"], "0.0.0.0:8080");
        assert_eq!(s["SWITCHBOARD_TWILIO_ACCOUNT_SID"], "AC123");
        assert_eq!(s["SWITCHBOARD_TWILIO_AUTH_TOKEN"], "secret");
        assert_eq!(
            s["SWITCHBOARD_WIDGET_ORIGINS"],
            "https://a.example,https://b.example"
        );
        assert_eq!(s["SWITCHBOARD_WIDGET_STARTS_PER_HOUR"], "40");
        assert_eq!(s["SWITCHBOARD_BOT_ENABLED"], "off");
        assert_eq!(s["SWITCHBOARD_BOT_MIN_SCORE"], "0.75");
        assert_eq!(s.len(), 8);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_by_name() {
        match parse("twilio_auth_tokn = \"x\"") {
            Err(ConfigFileError::Unknown { key, env }) => {
                assert_eq!(key, "twilio_auth_tokn");
                assert_eq!(env, "SWITCHBOARD_TWILIO_AUTH_TOKN");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("[smtp]\nurl = 1979-05-27T07:32:00Z"),
            Err(ConfigFileError::Value(k)) if k == "smtp_url"
        ));
        assert!(matches!(
            parse("listen = "),
            Err(ConfigFileError::Syntax(_))
        ));
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let s = parse("smtp_from = \"file@example.com\"\nimap_poll_secs = 10").unwrap();
        let env =
            |name: &str| (name == "SWITCHBOARD_SMTP_FROM").then(|| "env@example.com".to_owned());
        assert_eq!(
            not_in_env(s, env),
            vec![("SWITCHBOARD_IMAP_POLL_SECS".to_owned(), "10".to_owned())]
        );
    }

    #[test]
    fn errors_never_carry_values() {
        let e = parse("[twilio]\nauth_tokn = \"hunter2\"")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
