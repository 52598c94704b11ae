//! Saved replies: canned answers with variables, their scope and who may
//! see or change them, and how they are filled in for one conversation.
//!
//! A body may hold the variables `{{customer.name}}`,
//! `{{customer.first_name}}`, `{{agent.name}}` and `{{conversation.id}}`
//! (spaces inside the braces are allowed: `{{ agent.name }}`). Saving
//! refuses anything else written between `{{` and `}}`, and a `{{` that is
//! never closed, with a message naming it ([`Template::parse`]). A lone `{`
//! or `}`, or `}}` without an opening `{{`, is plain text.
//!
//! Filling ([`fill`]) replaces each variable by its value; a value that is
//! missing (a customer known only by an email address has no name) is left
//! in the text as its placeholder, `{{customer.name}}`, for the agent to
//! fill by hand: never a blank, so a reply cannot go out as "Hi ,". The
//! variables left are listed beside the text ([`Filled::missing`]).
//!
//! ```
//! use switchboard_core::saved_replies::{fill, Template, Values};
//!
//! let body = "Hi {{customer.first_name}}, {{agent.name}} here.";
//! assert!(Template::parse(body).is_ok());
//! let filled = fill(body, &Values { customer_name: Some("Mary Jackson"), agent_name: None, conversation_id: None });
//! assert_eq!(filled.text, "Hi Mary, {{agent.name}} here.");
//! assert!(Template::parse("Hi {{customer.nmae}}").is_err());
//! ```

use crate::visibility::Viewer;
use crate::{ReplyScope, Role};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body, in bytes.
pub const MAX_BODY_BYTES: usize = 20_000;
/// Most attachments one saved reply refers to.
pub const MAX_ATTACHMENTS: usize = 20;
/// Longest attachment reference (an upload id), in bytes.
pub const MAX_ATTACHMENT_ID_BYTES: usize = 200;

/// A variable a body may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variable {
    /// The customer's name as the conversation knows it.
    CustomerName,
    /// The first word of the customer's name.
    CustomerFirstName,
    /// The name of the agent using the reply.
    AgentName,
    /// The conversation's id.
    ConversationId,
}

impl Variable {
    /// Every variable, in the order they are documented.
    pub const ALL: &'static [Variable] = &[
        Variable::CustomerName,
        Variable::CustomerFirstName,
        Variable::AgentName,
        Variable::ConversationId,
    ];

    /// Its name, as written between the braces: `customer.name`.
    pub fn name(self) -> &'static str {
        match self {
            Variable::CustomerName => "customer.name",
            Variable::CustomerFirstName => "customer.first_name",
            Variable::AgentName => "agent.name",
            Variable::ConversationId => "conversation.id",
        }
    }

    /// The variable called `name` (exactly, lowercase), if there is one.
    pub fn parse(name: &str) -> Option<Variable> {
        Variable::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// How it is written in a body: `{{customer.name}}`.
    pub fn placeholder(self) -> String {
        format!("{{{{{}}}}}", self.name())
    }
}

/// Every variable's placeholder, for messages: `{{customer.name}}, …`.
fn known_list() -> String {
    Variable::ALL
        .iter()
        .map(|v| v.placeholder())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a body cannot be saved. Positions are 1-based character counts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{something}}` that is not one of the variables.
    #[error(
        "unknown variable `{{{{{name}}}}}` at character {at}; the variables are {}",
        known_list()
    )]
    UnknownVariable {
        /// What was written between the braces (trimmed).
        name: String,
        /// Where its `{{` starts.
        at: usize,
    },
    /// `{{` with no `}}` after it (or another `{{` before its `}}`).
    #[error("`{{{{` at character {at} is not closed by `}}}}`; write a variable as {}", Variable::CustomerName.placeholder())]
    Unclosed {
        /// Where the `{{` starts.
        at: usize,
    },
    /// `{{}}` with nothing between the braces.
    #[error(
        "empty `{{{{}}}}` at character {at}; the variables are {}",
        known_list()
    )]
    Empty {
        /// Where its `{{` starts.
        at: usize,
    },
}

impl TemplateError {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::UnknownVariable { .. } => "unknown_variable",
            TemplateError::Unclosed { .. } | TemplateError::Empty { .. } => "malformed_variable",
        }
    }
}

/// One piece of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// Text to keep as it is.
    Text(&'a str),
    /// A variable.
    Var(Variable),
    /// Something malformed: its text, and why.
    Bad(&'a str, TemplateError),
}

/// Splits a body into text, variables and malformed pieces.
fn scan(body: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut offset = 0usize; // bytes of `body` consumed
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Token::Text(&rest[..open]));
        }
        let at = body[..offset + open].chars().count() + 1;
        let after = &rest[open + 2..];
        let close = after.find("}}");
        let reopen = after.find("{{");
        match close {
            Some(c) if reopen.is_none_or(|r| r > c) => {
                let inner = after[..c].trim();
                let raw = &rest[open..open + 2 + c + 2];
                let token = if inner.is_empty() {
                    Token::Bad(raw, TemplateError::Empty { at })
                } else if let Some(v) = Variable::parse(inner) {
                    Token::Var(v)
                } else {
                    Token::Bad(
                        raw,
                        TemplateError::UnknownVariable {
                            name: inner.to_owned(),
                            at,
                        },
                    )
                };
                out.push(token);
                let used = open + 2 + c + 2;
                offset += used;
                rest = &rest[used..];
            }
            _ => {
                // Not closed before the end or before the next `{{`: the
                // `{{` itself is the fault; scanning goes on after it.
                out.push(Token::Bad(
                    &rest[open..open + 2],
                    TemplateError::Unclosed { at },
                ));
                offset += open + 2;
                rest = &rest[open + 2..];
            }
        }
    }
    if !rest.is_empty() {
        out.push(Token::Text(rest));
    }
    out
}

/// A body checked for saving: every `{{…}}` in it is a known variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    variables: Vec<Variable>,
}

impl Template {
    /// Checks a body; the first fault found is the error.
    pub fn parse(body: &str) -> Result<Template, TemplateError> {
        let mut variables = Vec::new();
        for t in scan(body) {
            match t {
                Token::Text(_) => {}
                Token::Var(v) => {
                    if !variables.contains(&v) {
                        variables.push(v);
                    }
                }
                Token::Bad(_, e) => return Err(e),
            }
        }
        Ok(Template { variables })
    }

    /// The variables the body uses, each once, in order of first use.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }
}

/// What the variables stand for in one conversation, for one agent. `None`,
/// empty or blank: unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Values<'a> {
    /// The customer's name (not their email or phone: "Hi mary@example.com"
    /// reads worse than a placeholder the agent fills).
    pub customer_name: Option<&'a str>,
    /// The agent's name.
    pub agent_name: Option<&'a str>,
    /// The conversation's id.
    pub conversation_id: Option<&'a str>,
}

impl Values<'_> {
    /// The value of `v`, trimmed; `None` when unknown.
    pub fn get(&self, v: Variable) -> Option<&str> {
        let given = match v {
            Variable::CustomerName => self.customer_name,
            Variable::CustomerFirstName => self.customer_name.and_then(first_name),
            Variable::AgentName => self.agent_name,
            Variable::ConversationId => self.conversation_id,
        };
        given.map(str::trim).filter(|s| !s.is_empty())
    }
}

/// The first word of a name, without a trailing comma: "Mary Jackson" →
/// "Mary". `None` for a blank name.
pub fn first_name(full: &str) -> Option<&str> {
    full.split_whitespace()
        .next()
        .map(|w| w.trim_end_matches(','))
        .filter(|w| !w.is_empty())
}

/// A body with its variables filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    /// The text, each missing value left as its placeholder.
    pub text: String,
    /// The variables whose value was missing, each once, in order.
    pub missing: Vec<Variable>,
}

/// Fills `body` from `values`. Each value is put in once, as it is: a value
/// that itself looks like a variable is not filled again. A missing value
/// stays as its placeholder (written the canonical way, `{{agent.name}}`)
/// and is listed in [`Filled::missing`]. A stored body is checked when
/// saved; should one still hold something malformed, it is kept verbatim.
pub fn fill(body: &str, values: &Values<'_>) -> Filled {
    let mut text = String::with_capacity(body.len() + 32);
    let mut missing = Vec::new();
    for t in scan(body) {
        match t {
            Token::Text(s) | Token::Bad(s, _) => text.push_str(s),
            Token::Var(v) => match values.get(v) {
                Some(value) => text.push_str(value),
                None => {
                    text.push_str(&v.placeholder());
                    if !missing.contains(&v) {
                        missing.push(v);
                    }
                }
            },
        }
    }
    Filled { text, missing }
}

/// Why a saved reply cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// Blank or too long a title.
    #[error("a saved reply needs a title of 1 to {MAX_TITLE_CHARS} characters")]
    Title,
    /// Blank or too long a body.
    #[error("a saved reply needs a body of 1 to {MAX_BODY_BYTES} bytes")]
    Body,
    /// A fault in the body's variables.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Bad attachment references.
    #[error("attachments are at most {MAX_ATTACHMENTS} upload ids, each a non-empty string of at most {MAX_ATTACHMENT_ID_BYTES} bytes without control characters")]
    Attachments,
}

impl ReplyError {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            ReplyError::Title => "invalid_title",
            ReplyError::Body => "invalid_reply_body",
            ReplyError::Template(e) => e.code(),
            ReplyError::Attachments => "invalid_attachments",
        }
    }
}

/// A title ready to store: trimmed, 1 to [`MAX_TITLE_CHARS`] characters, one line.
pub fn clean_title(title: &str) -> Result<String, ReplyError> {
    let t = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = t.chars().count();
    if n == 0 || n > MAX_TITLE_CHARS {
        return Err(ReplyError::Title);
    }
    Ok(t)
}

/// A body ready to store: not blank, at most [`MAX_BODY_BYTES`], only known
/// variables. Kept as written (no trimming inside: it is the agent's text),
/// except for whitespace at both ends.
pub fn clean_body(body: &str) -> Result<String, ReplyError> {
    let b = body.trim();
    if b.is_empty() || b.len() > MAX_BODY_BYTES {
        return Err(ReplyError::Body);
    }
    Template::parse(b)?;
    Ok(b.to_owned())
}

/// Attachment references ready to store. Uploads are opaque here: each id
/// is a non-empty string (trimmed) of at most [`MAX_ATTACHMENT_ID_BYTES`]
/// bytes without control characters; the same id twice is kept once; at
/// most [`MAX_ATTACHMENTS`].
pub fn clean_attachments(ids: &[String]) -> Result<Vec<String>, ReplyError> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id = id.trim();
        if id.is_empty() || id.len() > MAX_ATTACHMENT_ID_BYTES || id.chars().any(char::is_control) {
            return Err(ReplyError::Attachments);
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    if out.len() > MAX_ATTACHMENTS {
        return Err(ReplyError::Attachments);
    }
    Ok(out)
}

/// Whether `viewer` sees a saved reply of `scope` owned by `owner_id`:
/// team replies everyone, personal ones their owner only (admins included:
/// a personal reply is private).
pub fn can_see(viewer: &Viewer<'_>, scope: ReplyScope, owner_id: Option<&str>) -> bool {
    match scope {
        ReplyScope::Team => true,
        ReplyScope::Personal => owner_id == Some(viewer.id),
    }
}

/// Whether `viewer` may change or delete it: team replies admins only,
/// personal ones their owner only.
pub fn can_manage(viewer: &Viewer<'_>, scope: ReplyScope, owner_id: Option<&str>) -> bool {
    match scope {
        ReplyScope::Team => viewer.role == Role::Admin,
        ReplyScope::Personal => owner_id == Some(viewer.id),
    }
}

/// Whether `viewer` may create one of `scope` (a personal one is theirs).
pub fn can_create(viewer: &Viewer<'_>, scope: ReplyScope) -> bool {
    match scope {
        ReplyScope::Team => viewer.role == Role::Admin,
        ReplyScope::Personal => true,
    }
}

/// Whether a reply scoped to `reply_category` is offered for a conversation
/// in `conversation_category`: a reply without a category everywhere, one
/// with a category only in that category's conversations. A filter for the
/// picker, not a permission.
pub fn offered_for(reply_category: Option<&str>, conversation_category: Option<&str>) -> bool {
    match reply_category {
        None => true,
        Some(c) => conversation_category == Some(c),
    }
}

/// How well a reply matches what the agent typed after `/`: lower is
/// better, `None` is no match. Case-insensitive: the title starting with
/// the query (0), a word of the title starting with it (1), the title
/// containing it (2), the body containing it (3). An empty query matches
/// everything equally (0).
pub fn match_rank(query: &str, title: &str, body: &str) -> Option<u8> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Some(0);
    }
    let t = title.to_lowercase();
    if t.starts_with(&q) {
        Some(0)
    } else if t.split_whitespace().any(|w| w.starts_with(&q)) {
        Some(1)
    } else if t.contains(&q) {
        Some(2)
    } else if body.to_lowercase().contains(&q) {
        Some(3)
    } else {
        None
    }
}

/// A saved reply as the picker weighs it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Its title.
    pub title: &'a str,
    /// Its body.
    pub body: &'a str,
    /// Its category scope.
    pub category_id: Option<&'a str>,
}

/// The picker's list: the indexes of `candidates` offered for a
/// conversation in `conversation_category` that match `query`, best match
/// first, then by title (case-insensitive), then by position.
pub fn pick(
    candidates: &[Candidate<'_>],
    query: &str,
    conversation_category: Option<&str>,
) -> Vec<usize> {
    let mut hits: Vec<(u8, String, usize)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| offered_for(c.category_id, conversation_category))
        .filter_map(|(i, c)| {
            match_rank(query, c.title, c.body).map(|r| (r, c.title.to_lowercase(), i))
        })
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, _, i)| i).collect()
}

/// How often one saved reply was used over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage<'a> {
    /// The reply.
    pub reply_id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Times it was filled in.
    pub uses: u64,
}

/// The metrics' order of usage figures: most used first, then by title
/// (case-insensitive), then by id (stable for equal counts).
pub fn cmp_usage(a: &Usage<'_>, b: &Usage<'_>) -> std::cmp::Ordering {
    b.uses
        .cmp(&a.uses)
        .then_with(|| a.title.to_lowercase().cmp(&b.title.to_lowercase()))
        .then_with(|| a.reply_id.cmp(b.reply_id))
}

#[cfg(test)]
mod tests;
