//! Small text formatting shared by the tray model and the notifications
//! ([`crate::tray_model`], [`crate::news`]).

/// A wait as people read it: `45s`, `1m 15s`, `2h 05m`.
pub fn wait(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Text for a notification body. Notification servers may read the body as
/// markup (`<b>`, `<a href>`, `&amp;`); customer text must show as typed.
pub fn notification_text(text: &str, max_chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut short: String = flat.trim().chars().take(max_chars).collect();
    if flat.trim().chars().count() > max_chars {
        short.push('…');
    }
    short
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits() {
        assert_eq!(wait(0), "0s");
        assert_eq!(wait(59), "59s");
        assert_eq!(wait(60), "1m 00s");
        assert_eq!(wait(75), "1m 15s");
        assert_eq!(wait(3600 + 5 * 60), "1h 05m");
    }

    #[test]
    fn customer_text_cannot_become_markup() {
        assert_eq!(
            notification_text("<b>hi</b> & <a href='x'>", 100),
            "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href='x'&gt;"
        );
        assert_eq!(notification_text("line\none\u{7}", 100), "line one");
        assert_eq!(notification_text("abcdef", 3), "abc…");
    }
}
