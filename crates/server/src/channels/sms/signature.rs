//! Twilio's request signature (`X-Twilio-Signature`), computed and checked
//! exactly as Twilio's own libraries do.
//!
//! The signed string is the full URL Twilio called (with its query string),
//! followed by every POSTed parameter sorted by name, each name immediately
//! followed by its value (a name sent several times: its distinct values in
//! sorted order). The signature is the Base64 of its HMAC-SHA1 keyed with the
//! account's auth token. A URL on the scheme's default port is accepted
//! written with or without that port, as Twilio's libraries accept it (the
//! console may show either). The comparison is constant-time (`hmac`'s
//! `verify_slice`).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    // HMAC takes a key of any length: `new_from_slice` cannot fail here.
    let mut mac = match HmacSha1::new_from_slice(auth_token.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(url.as_bytes());
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The signature Twilio sends for a request to `url` with `params`.
pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `given` is Twilio's signature of this request.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], given: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(given.trim()) else {
        return false;
    };
    if auth_token.is_empty() {
        return false;
    }
    url_variants(url)
        .iter()
        .any(|u| mac(auth_token, u, params).verify_slice(&given).is_ok())
}

/// `url` as given, plus the same URL with its default port written out or
/// left out (`https://h/p` ⇄ `https://h:443/p`).
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return out,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // The port follows the last ':' after any IPv6 literal's ']'.
    let host_end = authority.rfind(']').map(|i| i + 1).unwrap_or(0);
    match authority[host_end..].rfind(':').map(|i| i + host_end) {
        Some(colon) if &authority[colon + 1..] == default => {
            out.push(format!("{scheme}://{}{tail}", &authority[..colon]));
        }
        Some(_) => {}
        None => out.push(format!("{scheme}://{authority}:{default}{tail}")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    /// The worked example of Twilio's "Validating Requests are coming from
    /// Twilio" guide.
    fn docs_example() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ])
    }

    #[test]
    fn twilios_documented_example_signs_and_verifies() {
        let sig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert_eq!(compute("12345", URL, &docs_example()), sig);
        assert!(verify("12345", URL, &docs_example(), sig));
        // Order of the posted parameters does not matter: they are sorted.
        let mut shuffled = docs_example();
        shuffled.reverse();
        assert!(verify("12345", URL, &shuffled, sig));
    }

    #[test]
    fn twilio_sdk_vectors_verify() {
        // The vector of Twilio's SDK test suites (twilio-python, twilio-php).
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(
            compute("12345", URL, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        // A name sent several times: distinct values, sorted.
        let repeated = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            compute("12345", URL, &repeated),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn anything_changed_is_refused() {
        let sig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        let p = docs_example();
        assert!(!verify("54321", URL, &p, sig), "another token");
        assert!(
            !verify(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=3",
                &p,
                sig
            ),
            "another URL"
        );
        let mut tampered = p.clone();
        tampered[2].1 = "9999".into();
        assert!(!verify("12345", URL, &tampered, sig), "a changed value");
        let mut extra = p.clone();
        extra.push(("Body".into(), "hi".into()));
        assert!(!verify("12345", URL, &extra, sig), "an added parameter");
        assert!(!verify("12345", URL, &p[1..], sig), "a dropped parameter");
        assert!(!verify("12345", URL, &p, ""), "empty");
        assert!(!verify("12345", URL, &p, "not base64 at all!"), "garbage");
        assert!(
            !verify("12345", URL, &p, "0/KCTR6DLpKmkAf8muzZqo1nDg=="),
            "truncated"
        );
        assert!(!verify("", URL, &p, &compute("", URL, &p)), "no token");
    }

    #[test]
    fn the_default_port_may_be_written_or_not() {
        let p = docs_example();
        let with_port = compute(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &p,
        );
        assert!(verify("12345", URL, &p, &with_port));
        let without = compute("12345", URL, &p);
        assert!(verify(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &p,
            &without
        ));
        // Another port is another URL.
        let other = compute(
            "12345",
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
            &p,
        );
        assert!(!verify("12345", URL, &p, &other));
        assert_eq!(
            url_variants("http://[::1]/x"),
            vec!["http://[::1]/x".to_owned(), "http://[::1]:80/x".to_owned()]
        );
    }
}
