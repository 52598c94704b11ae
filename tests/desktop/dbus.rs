//! The tray menu and the notification daemon, reached over the session bus
//! the way a desktop shell reaches them.

use std::time::{Duration, Instant};

use regex::Regex;

use crate::harness::DesktopSession;

/// An entry of the tray menu as `com.canonical.dbusmenu.GetLayout` lists it.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub id: u32,
    pub label: String,
    pub toggled: Option<bool>,
}

/// The app's tray menu: bus name and object path.
pub struct TrayMenu {
    dest: String,
    path: String,
}

impl TrayMenu {
    /// Finds the dbusmenu the app exports (no tray host needed).
    pub fn find(session: &DesktopSession) -> TrayMenu {
        let deadline = Instant::now() + Duration::from_secs(30);
        let path_re = Regex::new(r"/org/ayatana/NotificationItem/[A-Za-z0-9_]+/Menu").expect("re");
        let unique = Regex::new(r"'(:[0-9.]+)'").expect("re");
        loop {
            let names = session.run(
                "gdbus",
                &[
                    "call",
                    "--session",
                    "--dest",
                    "org.freedesktop.DBus",
                    "--object-path",
                    "/org/freedesktop/DBus",
                    "--method",
                    "org.freedesktop.DBus.ListNames",
                ],
            );
            for cap in unique.captures_iter(&names) {
                let name = &cap[1];
                let Some(tree) = session.try_run(
                    "gdbus",
                    &[
                        "introspect",
                        "--session",
                        "--dest",
                        name,
                        "--object-path",
                        "/",
                        "--recurse",
                        "--only-properties",
                    ],
                ) else {
                    continue;
                };
                if let Some(m) = path_re.find(&tree) {
                    return TrayMenu {
                        dest: name.to_owned(),
                        path: m.as_str().to_owned(),
                    };
                }
            }
            assert!(
                Instant::now() < deadline,
                "no app on the bus exports a tray menu"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The menu's items.
    pub fn items(&self, session: &DesktopSession) -> Vec<MenuItem> {
        let layout = session.run(
            "gdbus",
            &[
                "call",
                "--session",
                "--dest",
                &self.dest,
                "--object-path",
                &self.path,
                "--method",
                "com.canonical.dbusmenu.GetLayout",
                "--",
                "0",
                "-1",
                "@as []",
            ],
        );
        let item = Regex::new(r"\((\d+), \{([^}]*)\}").expect("re");
        let label = Regex::new(r"'label': <'([^']*)'>").expect("re");
        let toggle = Regex::new(r"'toggle-state': <(-?\d+)>").expect("re");
        item.captures_iter(&layout)
            .filter_map(|c| {
                let props = &c[2];
                Some(MenuItem {
                    id: c[1].parse().ok()?,
                    label: label.captures(props)?[1].to_owned(),
                    toggled: toggle.captures(props).map(|t| &t[1] == "1"),
                })
            })
            .collect()
    }

    /// The item labelled `label`.
    pub fn item(&self, session: &DesktopSession, label: &str) -> MenuItem {
        let items = self.items(session);
        items
            .iter()
            .find(|i| i.label == label)
            .cloned()
            .unwrap_or_else(|| panic!("no tray item {label:?} in {items:?}"))
    }

    /// Clicks an item, as a tray host does.
    pub fn click(&self, session: &DesktopSession, label: &str) {
        let item = self.item(session, label);
        session.run(
            "gdbus",
            &[
                "call",
                "--session",
                "--dest",
                &self.dest,
                "--object-path",
                &self.path,
                "--method",
                "com.canonical.dbusmenu.Event",
                "--",
                &item.id.to_string(),
                "clicked",
                "<0>",
                "0",
            ],
        );
    }
}

/// A notification as `dunstctl history` shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub summary: String,
    pub body: String,
    pub appname: String,
}

/// Notifications that have been shown and closed, newest first.
pub fn history(session: &DesktopSession) -> Vec<Shown> {
    let text = session.run("dunstctl", &["history"]);
    let json: serde_json::Value = serde_json::from_str(&text).expect("dunstctl history is JSON");
    let field =
        |n: &serde_json::Value, k: &str| n[k]["data"].as_str().unwrap_or_default().to_owned();
    json["data"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|a| a.as_array())
        .map(|list| {
            list.iter()
                .map(|n| Shown {
                    summary: field(n, "summary"),
                    body: field(n, "body"),
                    appname: field(n, "appname"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How many notifications are on screen.
pub fn displayed(session: &DesktopSession) -> usize {
    session
        .run("dunstctl", &["count", "displayed"])
        .trim()
        .parse()
        .unwrap_or(0)
}
