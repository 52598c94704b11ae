//! The made-up inbox text the benches search: support words drawn with a
//! strong skew, a made-up vocabulary for a Zipf-like spread, customers'
//! first names and surnames, and a few phrases in other scripts. One copy,
//! so the server's search bench, the desktop cache's and the desktop app's
//! write (and look for) the same kind of text.

use switchboard_api::Customer;

/// Support words, most common first (the benches draw the first far more
/// often than the last); accented ones on purpose.
pub const SUPPORT_WORDS: &[&str] = &[
    "order",
    "parcel",
    "delivery",
    "refund",
    "invoice",
    "account",
    "password",
    "shipping",
    "tracking",
    "payment",
    "card",
    "address",
    "return",
    "exchange",
    "size",
    "colour",
    "broken",
    "late",
    "missing",
    "wrong",
    "charged",
    "twice",
    "subscription",
    "cancel",
    "upgrade",
    "plan",
    "discount",
    "coupon",
    "warranty",
    "repair",
    "replacement",
    "courier",
    "warehouse",
    "stock",
    "café",
    "crème",
    "naïve",
    "Zürich",
    "São",
    "Paulo",
    "Málaga",
    "Kraków",
    "résumé",
    "façade",
    "hello",
    "thanks",
    "please",
    "could",
    "would",
    "help",
    "again",
    "today",
    "yesterday",
    "week",
    "monday",
    "friday",
    "email",
    "phone",
    "number",
    "reference",
    "ticket",
    "support",
    "agent",
];

/// Customers' first names (accents and other scripts' names included).
pub const FIRST_NAMES: &[&str] = &[
    "Anna", "Zoë", "José", "Mary", "Lars", "Ingrid", "Yuki", "Ivan", "Olga", "Chen", "Priya",
    "Tomás", "Amélie", "Björn", "Fatima", "Kenji",
];

/// Phrases in French, Japanese, Russian and English, mixed into bodies.
pub const MIXED_PHRASES: [&str; 6] = [
    "Le café était froid à l'arrivée",
    "東京の店で買いました",
    "Прошу вернуть деньги за заказ",
    "The parcel tracking number is missing",
    "Please refund the duplicate charge",
    "Crème brûlée order cancelled",
];

/// Customer `i`'s made-up surname (one per 40 customers or so).
pub fn surname(i: usize) -> String {
    const SYL: &[&str] = &[
        "ka", "lo", "mi", "ren", "sto", "vi", "dal", "ne", "ro", "tu",
    ];
    let k = i / 40;
    format!(
        "{}{}{}",
        SYL[k % 10].to_uppercase(),
        SYL[(k / 10) % 10],
        SYL[(k / 100) % 10]
    )
}

/// Customer `i`: a first name, a made-up surname, an email and a phone
/// number of their own.
pub fn customer(i: usize) -> Customer {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = surname(i);
    Customer {
        name: Some(format!("{first} {last}")),
        email: Some(format!(
            "{}.{}{i}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        )),
        phone: Some(format!("+1555{:07}", i * 7919 % 10_000_000)),
    }
}

/// Made-up word `i` of a vocabulary: three syllables and a number.
pub fn made_up(i: usize) -> String {
    const SYL: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "ri", "an", "el", "or", "un",
        "is",
    ];
    let mut s = String::new();
    let mut k = i + 17;
    for _ in 0..3 {
        s.push_str(SYL[k % 16]);
        k /= 16;
    }
    s.push_str(&(i % 97).to_string());
    s
}

/// The support word for a draw `unit` in [0, 1): cubed, so the first words
/// come far more often (the first about one draw in seven).
pub fn support_word(unit: f64) -> &'static str {
    SUPPORT_WORDS
        [((unit * unit * unit) * SUPPORT_WORDS.len() as f64) as usize % SUPPORT_WORDS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_stable_and_distinct() {
        assert_eq!(made_up(0), made_up(0));
        assert_ne!(made_up(1), made_up(2));
        assert_eq!(surname(0), surname(39));
        assert_ne!(surname(0), surname(40));
        assert_eq!(support_word(0.0), "order");
    }
}
