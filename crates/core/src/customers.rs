//! Customer profiles' rules: how a customer is recognised across channels.
//!
//! A profile has any number of identities: email addresses, phone numbers
//! and widget visitor ids, each on one profile at most. A conversation that
//! arrives carries the identities its channel knows (an email's sender, an
//! SMS's number, a widget visitor's id and the email they gave); it lands on
//! the profile one of them already belongs to, chosen in the order email,
//! phone, visitor, and the identities the profile did not have yet are added
//! to it (so a widget chat with an email already on a profile also teaches
//! the profile that visitor). When none is known, a new profile is made.
//! Two identities on different profiles are not merged by themselves: that
//! is a person's decision (a merge).
//!
//! Values are normalised before they are compared or stored: email
//! addresses trimmed and lower-cased, phone numbers reduced to E.164.

use crate::IdentityKind;

/// What the live-chat widget calls a visitor who gave no name: shown on
/// their conversation, never taken as a profile's name.
pub const UNNAMED_VISITOR: &str = "Website visitor";

/// The longest identity value kept (an email address's limit, RFC 5321).
pub const MAX_IDENTITY_LEN: usize = 320;

/// An identity value that cannot be one of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Not an email address.
    #[error("`{0}` is not an email address (name@example.com)")]
    Email(String),
    /// Not a phone number in international form.
    #[error("`{0}` is not a phone number in international form (+ then 8 to 15 digits, e.g. +442071234567)")]
    Phone(String),
    /// Not a widget visitor id.
    #[error("`{0}` is not a visitor id (1 to 128 letters, digits, `-` or `_`)")]
    Visitor(String),
}

/// One way of recognising a customer, normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    /// Email, phone or visitor.
    pub kind: IdentityKind,
    /// The normalised value.
    pub value: String,
}

impl Identity {
    /// Parses and normalises `value` as an identity of `kind`.
    pub fn new(kind: IdentityKind, value: &str) -> Result<Identity, IdentityError> {
        let value = match kind {
            IdentityKind::Email => email(value)?,
            IdentityKind::Phone => phone(value)?,
            IdentityKind::Visitor => visitor(value)?,
        };
        Ok(Identity { kind, value })
    }
}

/// An email address, trimmed and lower-cased: one `@` with something on
/// either side and a dot-free or dotted domain, no spaces or controls.
pub fn email(value: &str) -> Result<String, IdentityError> {
    let v = value.trim().to_lowercase();
    let bad = || IdentityError::Email(value.trim().to_owned());
    if v.is_empty() || v.len() > MAX_IDENTITY_LEN {
        return Err(bad());
    }
    let Some((local, domain)) = v.split_once('@') else {
        return Err(bad());
    };
    let clean = |s: &str| {
        !s.is_empty()
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '<' | '>' | ','))
    };
    if !clean(local) || !clean(domain) || domain.starts_with('.') || domain.ends_with('.') {
        return Err(bad());
    }
    Ok(v)
}

/// A phone number in E.164: `+`, then 8 to 15 digits, the first not 0.
/// Spaces, dots, dashes and parentheses people write between digits are
/// dropped; a leading `00` stands for `+`. A number without its country
/// code cannot be recognised across channels and is refused.
pub fn phone(value: &str) -> Result<String, IdentityError> {
    let bad = || IdentityError::Phone(value.trim().to_owned());
    let compact: String = value
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}'))
        .collect();
    let digits = if let Some(rest) = compact.strip_prefix('+') {
        rest
    } else if let Some(rest) = compact.strip_prefix("00") {
        rest
    } else {
        return Err(bad());
    };
    if !(8..=15).contains(&digits.len())
        || !digits.chars().all(|c| c.is_ascii_digit())
        || digits.starts_with('0')
    {
        return Err(bad());
    }
    Ok(format!("+{digits}"))
}

/// A widget visitor id: 1 to 128 ASCII letters, digits, `-` or `_`.
pub fn visitor(value: &str) -> Result<String, IdentityError> {
    let v = value.trim();
    if v.is_empty()
        || v.len() > 128
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(IdentityError::Visitor(v.to_owned()));
    }
    Ok(v.to_owned())
}

/// The identities a new conversation carries, in the order they are
/// tried (email, phone, visitor); values that are not valid identities
/// (a phone number without its country code, say) are left out: the
/// conversation keeps them as written, they just recognise nobody.
pub fn identities_of(
    email_addr: Option<&str>,
    phone_number: Option<&str>,
    visitor_id: Option<&str>,
) -> Vec<Identity> {
    let mut out = Vec::new();
    for (kind, value) in [
        (IdentityKind::Email, email_addr),
        (IdentityKind::Phone, phone_number),
        (IdentityKind::Visitor, visitor_id),
    ] {
        if let Some(Ok(id)) = value.map(|v| Identity::new(kind, v)) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Where a new conversation lands, given which of its identities (in
/// [`identities_of`]'s order) already belong to a profile: the profile of
/// the first that does. `None`: a new profile.
pub fn landing_profile(owners: &[Option<String>]) -> Option<&str> {
    owners.iter().flatten().next().map(String::as_str)
}

/// The identities to add to the profile a conversation landed on: those of
/// its identities that belong to no profile yet (one on another profile
/// stays there).
pub fn identities_to_add<'a>(
    identities: &'a [Identity],
    owners: &[Option<String>],
) -> Vec<&'a Identity> {
    identities
        .iter()
        .zip(owners.iter().chain(std::iter::repeat(&None)))
        .filter(|(_, owner)| owner.is_none())
        .map(|(id, _)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            email("  Ada@Example.COM ").as_deref(),
            Ok("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a b@example.com",
            "ada@x@y",
            "ada@.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert!(email(&format!("{}@example.com", "a".repeat(320))).is_err());
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(phone("+44 20 7123 4567").as_deref(), Ok("+442071234567"));
        assert_eq!(phone("0044 (20) 7123-4567").as_deref(), Ok("+442071234567"));
        assert_eq!(phone("+1.555.010.9999").as_deref(), Ok("+15550109999"));
        for bad in [
            "",
            "020 7123 4567",
            "+0441234567",
            "+1234567",
            "+1234567890123456",
            "+44 20 71x3 4567",
        ] {
            assert!(phone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn visitor_ids_are_plain() {
        assert_eq!(visitor(" v_1-a ").as_deref(), Ok("v_1-a"));
        assert!(visitor("").is_err());
        assert!(visitor("a b").is_err());
        assert!(visitor(&"x".repeat(129)).is_err());
    }

    #[test]
    fn a_conversation_lands_on_the_profile_of_its_first_known_identity() {
        let ids = identities_of(
            Some("Ada@Example.com"),
            Some("+44 20 7123 4567"),
            Some("v1"),
        );
        let kinds: Vec<IdentityKind> = ids.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                IdentityKind::Email,
                IdentityKind::Phone,
                IdentityKind::Visitor
            ]
        );
        // Nobody known: a new profile, every identity on it.
        let none = vec![None, None, None];
        assert_eq!(landing_profile(&none), None);
        assert_eq!(identities_to_add(&ids, &none).len(), 3);
        // The phone is known: that profile, and the email and visitor join it.
        let phone_known = vec![None, Some("p1".to_owned()), None];
        assert_eq!(landing_profile(&phone_known), Some("p1"));
        let added: Vec<IdentityKind> = identities_to_add(&ids, &phone_known)
            .iter()
            .map(|i| i.kind)
            .collect();
        assert_eq!(added, [IdentityKind::Email, IdentityKind::Visitor]);
        // Email and phone on two profiles: the email's wins, nothing moves.
        let both = vec![Some("e1".to_owned()), Some("p1".to_owned()), None];
        assert_eq!(landing_profile(&both), Some("e1"));
        assert_eq!(identities_to_add(&ids, &both), vec![&ids[2]]);
    }

    #[test]
    fn values_that_recognise_nobody_are_left_out() {
        let ids = identities_of(Some("not an address"), Some("0171 555"), None);
        assert!(ids.is_empty());
        let ids = identities_of(Some("a@b.c"), Some("+442071234567"), Some("a@b.c"));
        assert_eq!(ids.len(), 2, "an invalid visitor id is dropped");
    }
}
