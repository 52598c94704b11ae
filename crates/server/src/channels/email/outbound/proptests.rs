//! Property test of the email channel's round trip: a reply as the outbox
//! builds it ([`build`], lettre) and as the intake parses it back
//! ([`super::super::parse::parse`], mail-parser) says the same: sender,
//! recipient, subject, Message-ID, threading ids and text. This is how a
//! reply that comes back to us (one of our own, or quoted by a customer's
//! mail client) is recognised.
//!
//! See `crate::settings::proptests` for how to run more cases.

use proptest::prelude::*;

use super::super::parse::{clean_text, parse};
use super::*;
use crate::settings::proptests::check;

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

fn id() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9.$_-]{1,30}", "[a-z0-9.-]{1,20}").prop_map(|(l, d)| format!("{l}@{d}"))
}

fn due() -> impl Strategy<Value = Due> {
    (
        (
            prop::option::of(prop_oneof![text(40), "[A-Za-z][A-Za-z .'-]{0,30}"]),
            "[a-z0-9][a-z0-9+_-]{0,15}@[a-z0-9]{1,12}\\.[a-z]{2,4}",
            prop_oneof![3 => text(120), 1 => "[ -~]{0,200}"],
        ),
        (
            id(),
            prop::option::of(id()),
            prop::collection::vec(id(), 0..6),
        ),
        prop_oneof![3 => text(600), 1 => "[ -~\n]{0,2000}", 1 => Just(String::new())],
    )
        .prop_map(
            |((to_name, to_addr, subject), (rfc_id, in_reply_to, refs), body)| Due {
                message_id: "m1".into(),
                mark: 0,
                rfc_id,
                to_name,
                to_addr: Some(to_addr),
                subject,
                in_reply_to,
                refs: refs.join(" "),
                body,
                attempts: 0,
            },
        )
}

#[test]
fn proptest_email_outbound_round_trip() {
    let from = parse_from("Support Team <support@example.com>").expect("a sender");
    check("email_outbound_round_trip", 3000, due(), |d| {
        let msg = build(&from, &d).map_err(|e| TestCaseError::fail(format!("not built: {e}")))?;
        let raw = msg.formatted();
        let p = parse(&raw);
        prop_assert_eq!(&p.message_id, &d.rfc_id);
        prop_assert_eq!(p.from_email.as_deref(), Some("support@example.com"));
        prop_assert_eq!(p.from_name.as_deref(), Some("Support Team"));
        prop_assert_eq!(&p.recipients, &vec![d.to_addr.clone().unwrap_or_default()]);
        let subject = one_line(&d.subject, 300);
        let subject = if subject.is_empty() {
            "(no subject)".to_owned()
        } else {
            subject
        };
        prop_assert_eq!(
            &p.subject,
            &subject,
            "raw {:?}",
            String::from_utf8_lossy(&raw)
        );
        let mut want: Vec<String> = Vec::new();
        let refs: Vec<String> = d.refs.split_whitespace().map(str::to_owned).collect();
        for id in d.in_reply_to.iter().chain(refs.iter().rev()) {
            if !want.contains(id) {
                want.push(id.clone());
            }
        }
        prop_assert_eq!(&p.thread_ids, &want);
        let body = clean_text(&d.body);
        let body = body.trim();
        if body.is_empty() {
            prop_assert!(p.body == "(empty message)", "{:?}", p.body);
        } else {
            prop_assert_eq!(
                p.body.as_str(),
                body,
                "raw {:?}",
                String::from_utf8_lossy(&raw)
            );
        }
        Ok(())
    });
}
