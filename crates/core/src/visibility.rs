//! Who sees what and who may act.
//!
//! An agent sees the conversations of their categories (read-only unless
//! assigned to them) and every conversation assigned to them; admins see all.
//! Public replies come only from the assignee. Internal notes may be written
//! by anyone who sees the conversation. Transfer and resolve belong to the
//! assignee or an admin.

use crate::Role;

/// The person asking.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// Their agent id.
    pub id: &'a str,
    /// Their role.
    pub role: Role,
    /// Their category ids.
    pub categories: &'a [String],
}

/// The facts about a conversation that visibility depends on.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Its category.
    pub category_id: Option<&'a str>,
    /// Its assignee (for resolved conversations: the last one).
    pub assignee_id: Option<&'a str>,
}

impl Viewer<'_> {
    fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether they may see the conversation at all.
    pub fn can_view(&self, scope: Scope<'_>) -> bool {
        self.is_admin()
            || scope.assignee_id == Some(self.id)
            || scope
                .category_id
                .is_some_and(|c| self.categories.iter().any(|mine| mine == c))
    }

    /// Whether they may write a public reply (assignee only).
    pub fn can_reply(&self, scope: Scope<'_>) -> bool {
        scope.assignee_id == Some(self.id)
    }

    /// Whether they may write an internal note.
    pub fn can_note(&self, scope: Scope<'_>) -> bool {
        self.can_view(scope)
    }

    /// Whether they may transfer or resolve it.
    pub fn can_manage(&self, scope: Scope<'_>) -> bool {
        self.is_admin() || scope.assignee_id == Some(self.id)
    }

    /// Whether an event about a conversation that was in `before` and is now in
    /// `after` concerns them: they see it if they could see either side, so a
    /// conversation that leaves their view still tells them it left.
    pub fn sees_change(&self, before: Scope<'_>, after: Scope<'_>) -> bool {
        self.can_view(before) || self.can_view(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats() -> Vec<String> {
        vec!["billing".to_string()]
    }

    #[test]
    fn agents_see_their_categories_and_their_own() {
        let c = cats();
        let me = Viewer {
            id: "me",
            role: Role::Agent,
            categories: &c,
        };
        assert!(me.can_view(Scope {
            category_id: Some("billing"),
            assignee_id: None
        }));
        assert!(me.can_view(Scope {
            category_id: Some("technical"),
            assignee_id: Some("me")
        }));
        assert!(!me.can_view(Scope {
            category_id: Some("technical"),
            assignee_id: Some("you")
        }));
        assert!(!me.can_view(Scope {
            category_id: None,
            assignee_id: None
        }));
    }

    #[test]
    fn admins_see_everything_but_reply_only_when_assigned() {
        let none: Vec<String> = vec![];
        let admin = Viewer {
            id: "boss",
            role: Role::Admin,
            categories: &none,
        };
        let s = Scope {
            category_id: Some("x"),
            assignee_id: Some("me"),
        };
        assert!(admin.can_view(s));
        assert!(admin.can_manage(s));
        assert!(!admin.can_reply(s));
    }

    #[test]
    fn replies_only_from_the_assignee_notes_from_any_viewer() {
        let c = cats();
        let me = Viewer {
            id: "me",
            role: Role::Agent,
            categories: &c,
        };
        let theirs = Scope {
            category_id: Some("billing"),
            assignee_id: Some("you"),
        };
        assert!(!me.can_reply(theirs));
        assert!(me.can_note(theirs));
        assert!(!me.can_manage(theirs));
        let mine = Scope {
            category_id: Some("billing"),
            assignee_id: Some("me"),
        };
        assert!(me.can_reply(mine));
        assert!(me.can_manage(mine));
    }

    #[test]
    fn a_change_is_seen_from_either_side() {
        let c = cats();
        let me = Viewer {
            id: "me",
            role: Role::Agent,
            categories: &c,
        };
        let before = Scope {
            category_id: Some("billing"),
            assignee_id: None,
        };
        let after = Scope {
            category_id: Some("technical"),
            assignee_id: None,
        };
        assert!(me.sees_change(before, after));
        assert!(!me.sees_change(after, after));
    }
}
