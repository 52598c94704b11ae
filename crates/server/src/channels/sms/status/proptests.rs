//! Property tests of Twilio's status callback as read ([`Report::from_request`]):
//! any query and fields give a report that keeps its promises or a 422 that
//! names its code; the part the outbox put in the callback URL comes back.
//!
//! See `crate::settings::proptests` for how to run more cases.

use proptest::prelude::*;

use super::*;
use crate::settings::proptests::check;

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

fn form(p: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p)
        .finish()
}

#[test]
fn proptest_twilio_status_reports() {
    let value = prop_oneof![
        3 => text(40),
        2 => prop::sample::select(vec![
            "queued", "sent", "Delivered", "undelivered", "FAILED", "read", "canceled",
            "received", "sending_now", "", "  ", "30003", "-1",
        ])
        .prop_map(str::to_owned),
        1 => "SM[0-9a-f]{32}",
        1 => "[a-z]{30,40}",
        1 => (60usize..70).prop_map(|n| "S".repeat(n)),
        1 => (250usize..400).prop_map(|n| "é".repeat(n)),
    ];
    let name = prop_oneof![
        4 => prop::sample::select(vec!["MessageSid", "MessageStatus", "ErrorCode", "ErrorMessage"])
            .prop_map(str::to_owned),
        1 => text(8),
    ];
    let query = prop::collection::vec(
        (
            prop_oneof![Just("m".to_owned()), Just("p".to_owned()), "[a-z]{1,3}"],
            prop_oneof![
                text(12),
                any::<i64>().prop_map(|n| n.to_string()),
                "[0-9]{18,22}",
            ],
        ),
        0..4,
    );
    check(
        "twilio_status_reports",
        4000,
        (prop::collection::vec((name, value), 0..8), query),
        |(pairs, query)| {
            let q = form(&query);
            let uri: Uri = format!("/channels/sms/twilio/status?{q}")
                .parse()
                .map_err(|e| TestCaseError::fail(format!("uri: {e}")))?;
            let params = Params(pairs);
            match Report::from_request(&uri, &params) {
                Ok(r) => {
                    prop_assert!(!r.sid.is_empty() && r.sid.len() <= 64);
                    prop_assert_eq!(
                        Some(r.sid.as_str()),
                        params.get("MessageSid").map(str::trim)
                    );
                    prop_assert!(!r.status.is_empty() && r.status.len() <= 32);
                    prop_assert!(r.status.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
                    if let Some(e) = &r.error {
                        prop_assert!(!e.chars().any(char::is_control));
                        prop_assert!(e.chars().count() <= 300 + 300 + 32);
                    }
                    // The part named in the (signed) callback URL, when both are there.
                    let first =
                        |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    let want = match (first("m"), first("p").and_then(|p| p.parse::<i64>().ok())) {
                        (Some(m), Some(p)) => Some((m, p)),
                        _ => None,
                    };
                    prop_assert_eq!(r.part, want);
                    // What the status means never moves a delivery backwards.
                    if let Some(to) = delivery_for(&r.status) {
                        prop_assert!(!moves(to, DeliveryStatus::Sending));
                    }
                }
                Err(AppError::Invalid { code, .. }) => {
                    prop_assert!(
                        code == "missing_field" || code == "invalid_field",
                        "{}",
                        code
                    );
                }
                Err(e) => prop_assert!(false, "not a 422: {:?}", e),
            }
            Ok(())
        },
    );
}
