//! What the system tray shows, as a value: the agent's status (the checked
//! entry of the status group, and the icon), the connection state, the queue
//! line, and the tooltip. The desktop keeps one [`TrayModel`] in a
//! `tokio::sync::watch` channel; the tray redraws from whatever it holds.
//!
//! - Signed out: no status checked and the status entries disabled,
//!   "Not signed in", the connection shown as lost.
//! - The icon follows the status, except that without a connection it shows
//!   offline: the agent routes nothing then.
//! - The queue line comes from the cache's [`Counts`] once they are read.

use switchboard_api::AgentStatus;

use crate::cache::Counts;
use crate::engine::ConnectionState;
use crate::text::wait;

/// The queue line before any counts are read, and when signed out.
pub const NOT_SIGNED_IN: &str = "Not signed in";

/// Everything the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    /// The agent's status as last known; `None`: signed out.
    pub status: Option<AgentStatus>,
    /// The sync engine's connection.
    pub connection: ConnectionState,
    /// The queue's counters; `None` until read (or signed out).
    pub queue: Option<QueueCounts>,
}

/// What the queue line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCounts {
    /// Conversations waiting in the queue.
    pub waiting: u64,
    /// The longest wait in the queue, in seconds.
    pub oldest_wait_secs: u64,
}

impl Default for TrayModel {
    fn default() -> Self {
        Self::signed_out()
    }
}

impl TrayModel {
    /// Nobody signed in (also the state at start).
    pub fn signed_out() -> Self {
        Self {
            status: None,
            connection: ConnectionState::Offline,
            queue: None,
        }
    }

    /// Shows the queue's counters.
    pub fn set_counts(&mut self, counts: &Counts) {
        self.queue = Some(QueueCounts {
            waiting: counts.waiting,
            oldest_wait_secs: counts.oldest_wait_secs,
        });
    }

    /// The icon to show: the status, or offline without a connection or a
    /// session.
    pub fn icon(&self) -> AgentStatus {
        match self.connection {
            ConnectionState::Offline => AgentStatus::Offline,
            _ => self.status.unwrap_or(AgentStatus::Offline),
        }
    }

    /// The tooltip.
    pub fn tooltip(&self) -> String {
        tooltip(self.status, self.connection)
    }

    /// Whether the entry of `status` is checked.
    pub fn checked(&self, status: AgentStatus) -> bool {
        self.status == Some(status)
    }

    /// Whether the status entries can be chosen (only when signed in).
    pub fn statuses_enabled(&self) -> bool {
        self.status.is_some()
    }

    /// The queue line of the menu.
    pub fn queue_line(&self) -> String {
        match self.queue {
            Some(q) => queue_label(q.waiting, q.oldest_wait_secs),
            None => NOT_SIGNED_IN.to_owned(),
        }
    }

    /// The connection line of the menu.
    pub fn connection_line(&self) -> &'static str {
        connection_label(self.connection)
    }
}

/// The label of a status entry.
pub fn status_label(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::Available => "Available",
        AgentStatus::Busy => "Busy",
        AgentStatus::Offline => "Offline",
    }
}

/// The tooltip: status, and the connection when it is not online.
pub fn tooltip(status: Option<AgentStatus>, connection: ConnectionState) -> String {
    let who = match status {
        Some(s) => status_label(s),
        None => "signed out",
    };
    match connection {
        ConnectionState::Online => format!("Switchboard — {who}"),
        ConnectionState::Syncing => format!("Switchboard — {who} (syncing)"),
        ConnectionState::Offline => format!("Switchboard — {who} (no connection)"),
    }
}

/// The queue line of the menu.
pub fn queue_label(waiting: u64, oldest_wait_secs: u64) -> String {
    match waiting {
        0 => "Queue empty".to_owned(),
        n => format!("{n} waiting · oldest {}", wait(oldest_wait_secs)),
    }
}

/// The connection line of the menu.
pub fn connection_label(connection: ConnectionState) -> &'static str {
    match connection {
        ConnectionState::Online => "Connected",
        ConnectionState::Syncing => "Syncing…",
        ConnectionState::Offline => "No connection to the server — retrying",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tooltips() {
        assert_eq!(
            tooltip(Some(AgentStatus::Busy), ConnectionState::Online),
            "Switchboard — Busy"
        );
        assert_eq!(
            tooltip(Some(AgentStatus::Busy), ConnectionState::Offline),
            "Switchboard — Busy (no connection)"
        );
        assert_eq!(
            tooltip(Some(AgentStatus::Available), ConnectionState::Syncing),
            "Switchboard — Available (syncing)"
        );
    }

    #[test]
    fn queue_line_reads_naturally() {
        assert_eq!(queue_label(0, 0), "Queue empty");
        assert_eq!(queue_label(3, 75), "3 waiting · oldest 1m 15s");
    }

    #[test]
    fn signed_out_shows_nobody_and_no_connection() {
        let m = TrayModel::signed_out();
        assert_eq!(m, TrayModel::default());
        assert_eq!(m.icon(), AgentStatus::Offline);
        assert_eq!(m.tooltip(), "Switchboard — signed out (no connection)");
        assert_eq!(m.queue_line(), "Not signed in");
        assert_eq!(
            m.connection_line(),
            "No connection to the server — retrying"
        );
        assert!(!m.statuses_enabled());
        assert!(AgentStatus::ALL.iter().all(|s| !m.checked(*s)));
    }

    #[test]
    fn signed_in_shows_the_status_the_connection_and_the_queue() {
        let mut m = TrayModel {
            status: Some(AgentStatus::Available),
            connection: ConnectionState::Syncing,
            queue: None,
        };
        // Counts not read yet: the line still says so.
        assert_eq!(m.queue_line(), "Not signed in");
        m.set_counts(&Counts {
            waiting: 2,
            oldest_wait_secs: 3600 + 5 * 60,
            ..Counts::default()
        });
        assert_eq!(m.queue_line(), "2 waiting · oldest 1h 05m");
        assert_eq!(m.icon(), AgentStatus::Available);
        assert_eq!(m.connection_line(), "Syncing…");
        assert!(m.statuses_enabled());
        assert!(m.checked(AgentStatus::Available) && !m.checked(AgentStatus::Busy));
        m.connection = ConnectionState::Online;
        assert_eq!(m.connection_line(), "Connected");
        assert_eq!(m.tooltip(), "Switchboard — Available");
    }

    #[test]
    fn without_a_connection_the_icon_shows_offline() {
        let m = TrayModel {
            status: Some(AgentStatus::Busy),
            connection: ConnectionState::Offline,
            queue: None,
        };
        assert_eq!(m.icon(), AgentStatus::Offline);
        assert!(
            m.checked(AgentStatus::Busy),
            "the menu still shows the status"
        );
        let online = TrayModel {
            connection: ConnectionState::Online,
            ..m
        };
        assert_eq!(online.icon(), AgentStatus::Busy);
    }
}
