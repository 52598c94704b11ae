//! The commands the page may call. Reads come from the local cache (so the
//! window opens at once and works offline); writes that need the server say
//! so with the `offline` code. Argument and result types are generated to
//! TypeScript (`ui/src/gen/`), and `build.rs` lists every command name so
//! the capability file grants exactly these and nothing else.

use chrono::{DateTime, Utc};
use switchboard_api::{
    Agent, AgentPatch, AgentStatus, Category, CategoryPatch, Composing, ConversationSummary,
    CustomerPatch, CustomerProfile, FilledReply, Metrics, NewAgent, NewCategory, NewTag, Presence,
    PresenceReport, SavedReply, SearchPage, SearchQuery, Tag, TagPatch, TransferRequest, View,
};
use switchboard_sync::{ConversationView, Counts, CustomerPanel, ListWindow, OutboxItem};
use tauri::{AppHandle, State, Wry};

use crate::desktop::Desktop;
use crate::files::{self, Staged, StagedFile};
use crate::ipc::{CmdResult, CommandError, Connection, Navigate, SessionInfo};
use crate::window::PendingNavigation;

type Ds<'a> = State<'a, Desktop<Wry>>;

/// Every command, by name, for `build.rs`'s permission list and the
/// invoke handler; `tests/bindings.rs` checks the two agree.
pub const NAMES: &[&str] = &[
    "session_current",
    "login",
    "logout",
    "list_window",
    "get_conversation",
    "claim",
    "send_message",
    "retry_message",
    "discard_message",
    "transfer",
    "resolve",
    "reopen",
    "recategorize",
    "set_status",
    "list_agents",
    "list_categories",
    "counts",
    "metrics",
    "create_agent",
    "update_agent",
    "create_category",
    "update_category",
    "connection",
    "reconnect_now",
    "take_navigation",
    "list_saved_replies",
    "fill_saved_reply",
    "stage_saved_reply_files",
    "search",
    "search_server",
    "pick_files",
    "stage_pasted_file",
    "unstage_file",
    "save_attachment",
    "attachment_preview",
    "customer_panel",
    "update_customer",
    "list_tags",
    "set_tag",
    "snooze",
    "unsnooze",
    "report_presence",
    "list_presence",
    "merge_conversations",
    "unmerge_conversation",
    "create_tag",
    "update_tag",
    "delete_tag",
    "find_customers",
    "merge_customers",
];

/// The signed-in session (after the start-up sign-in from the keychain), or
/// `null` for the login screen.
#[tauri::command]
pub async fn session_current(desktop: Ds<'_>) -> CmdResult<Option<SessionInfo>> {
    Ok(desktop.current().await)
}

/// Signs in; the token goes to the keychain. Plain `http://` to another
/// computer is refused (`unencrypted_connection`, with the warning to show)
/// unless `allow_unencrypted`: the person confirmed after seeing it.
#[tauri::command]
pub async fn login(
    desktop: Ds<'_>,
    server_url: String,
    email: String,
    password: String,
    allow_unencrypted: bool,
) -> CmdResult<SessionInfo> {
    desktop
        .login(&server_url, &email, &password, allow_unencrypted)
        .await
}

/// Signs out, forgets the token and deletes the account's cache. Refused
/// (`unsent_messages`, saying what would be lost) while replies or notes
/// are unsent, unless `discard_unsent`.
#[tauri::command]
pub async fn logout(desktop: Ds<'_>, discard_unsent: bool) -> CmdResult<()> {
    desktop.logout(discard_unsent).await
}

/// Part of a list from the cache (`limit` rows from `offset`, at most
/// [`MAX_WINDOW`]), with the list's length and the position of `find`;
/// `overdue` as of server time now; with `tag`, only the conversations
/// carrying it. The page asks for what is on screen and a little around
/// it, never the whole list.
#[tauri::command]
pub async fn list_window(
    desktop: Ds<'_>,
    view: View,
    offset: u32,
    limit: u32,
    find: Option<String>,
    tag: Option<String>,
) -> CmdResult<ListWindow> {
    let engine = desktop.engine().await?;
    let now = desktop.server_now().await;
    let window = engine
        .cache()
        .window_tagged(
            view,
            tag.as_deref(),
            offset,
            limit.min(MAX_WINDOW),
            find.as_deref(),
            now,
        )
        .await?;
    if !window.rows.is_empty() {
        desktop.first_rows_shown().await;
    }
    Ok(window)
}

/// The most rows [`list_window`] returns at once.
pub const MAX_WINDOW: u32 = 500;

/// One conversation with its history and pending outbox items: from the
/// cache, else from the server (a resolved one older than the cache keeps).
#[tauri::command]
pub async fn get_conversation(desktop: Ds<'_>, id: String) -> CmdResult<Option<ConversationView>> {
    let engine = desktop.engine().await?;
    let now = desktop.server_now().await;
    Ok(engine.conversation(&id, now).await?)
}

/// Claims (needs the server); `overdue_first` names the one to take first.
#[tauri::command]
pub async fn claim(desktop: Ds<'_>, id: String) -> CmdResult<ConversationSummary> {
    Ok(desktop.engine().await?.claim(&id).await?)
}

/// Writes a reply or an internal note to the outbox; it is sent at once when
/// online, later otherwise.
#[tauri::command]
pub async fn send_message(
    desktop: Ds<'_>,
    staged: State<'_, Staged>,
    id: String,
    body: String,
    internal: bool,
    files: Vec<String>,
) -> CmdResult<OutboxItem> {
    if body.trim().is_empty() && files.is_empty() {
        return Err(CommandError::new("invalid_input", "Write something first."));
    }
    let engine = desktop.engine().await?;
    let files = staged.take(&files)?;
    Ok(engine
        .queue_message_with_files(&id, &body, internal, files)
        .await?)
}
/// Sends a failed outbox item again.
#[tauri::command]
pub async fn retry_message(desktop: Ds<'_>, client_id: String) -> CmdResult<()> {
    Ok(desktop.engine().await?.retry_outbox(&client_id).await?)
}

/// Drops a failed or pending outbox item.
#[tauri::command]
pub async fn discard_message(desktop: Ds<'_>, client_id: String) -> CmdResult<()> {
    Ok(desktop.engine().await?.discard_outbox(&client_id).await?)
}

/// Transfers to an agent or a category's queue, with an optional note.
#[tauri::command]
pub async fn transfer(
    desktop: Ds<'_>,
    id: String,
    to: TransferRequest,
) -> CmdResult<ConversationSummary> {
    if to.to_agent_id.is_some() == to.to_category_id.is_some() {
        return Err(CommandError::new(
            "invalid_input",
            "Choose either an agent or a category to transfer to.",
        ));
    }
    Ok(desktop.engine().await?.transfer(&id, &to).await?)
}

/// Resolves.
#[tauri::command]
pub async fn resolve(desktop: Ds<'_>, id: String) -> CmdResult<ConversationSummary> {
    Ok(desktop.engine().await?.resolve(&id).await?)
}

/// Reopens.
#[tauri::command]
pub async fn reopen(desktop: Ds<'_>, id: String) -> CmdResult<ConversationSummary> {
    Ok(desktop.engine().await?.reopen(&id).await?)
}

/// Changes the category.
#[tauri::command]
pub async fn recategorize(
    desktop: Ds<'_>,
    id: String,
    category_id: String,
) -> CmdResult<ConversationSummary> {
    Ok(desktop
        .engine()
        .await?
        .recategorize(&id, &category_id)
        .await?)
}

/// Sets the agent's status (the tray menu runs the same code).
#[tauri::command]
pub async fn set_status(desktop: Ds<'_>, status: AgentStatus) -> CmdResult<Agent> {
    desktop.set_status(status).await
}

/// The team, with status and load, from the cache.
#[tauri::command]
pub async fn list_agents(desktop: Ds<'_>) -> CmdResult<Vec<Agent>> {
    Ok(desktop.engine().await?.cache().agents().await?)
}

/// Categories, from the cache.
#[tauri::command]
pub async fn list_categories(desktop: Ds<'_>) -> CmdResult<Vec<Category>> {
    Ok(desktop.engine().await?.cache().categories().await?)
}

/// Queue and own-load counters.
#[tauri::command]
pub async fn counts(desktop: Ds<'_>) -> CmdResult<Counts> {
    desktop.counts().await
}

/// Metrics over `[from, to)` (needs the server).
#[tauri::command]
pub async fn metrics(
    desktop: Ds<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> CmdResult<Metrics> {
    Ok(desktop.engine().await?.session().metrics(from, to).await?)
}

/// Admin: adds an agent.
#[tauri::command]
pub async fn create_agent(desktop: Ds<'_>, agent: NewAgent) -> CmdResult<Agent> {
    Ok(desktop
        .engine()
        .await?
        .session()
        .create_agent(&agent)
        .await?)
}

/// Admin: changes an agent.
#[tauri::command]
pub async fn update_agent(desktop: Ds<'_>, id: String, patch: AgentPatch) -> CmdResult<Agent> {
    Ok(desktop
        .engine()
        .await?
        .session()
        .patch_agent(&id, &patch)
        .await?)
}

/// Admin: adds a category.
#[tauri::command]
pub async fn create_category(desktop: Ds<'_>, category: NewCategory) -> CmdResult<Category> {
    Ok(desktop
        .engine()
        .await?
        .session()
        .create_category(&category)
        .await?)
}

/// Admin: changes a category.
#[tauri::command]
pub async fn update_category(
    desktop: Ds<'_>,
    id: String,
    patch: CategoryPatch,
) -> CmdResult<Category> {
    Ok(desktop
        .engine()
        .await?
        .session()
        .patch_category(&id, &patch)
        .await?)
}

/// Connection state and outbox size.
#[tauri::command]
pub async fn connection(desktop: Ds<'_>) -> CmdResult<Connection> {
    desktop.connection().await
}

/// Retries the connection now instead of after the backoff delay.
#[tauri::command]
pub async fn reconnect_now(desktop: Ds<'_>) -> CmdResult<()> {
    desktop.engine().await?.reconnect_now();
    Ok(())
}

/// A navigation asked for (notification click, deep link) before the page
/// was listening.
#[tauri::command]
pub fn take_navigation(pending: State<'_, PendingNavigation>) -> Option<Navigate> {
    pending.take()
}

/// The saved replies the composer's picker offers in conversation
/// `conversation_id` for what was typed after `/` (`query`): from the cache
/// (works offline), those of the conversation's category and those for
/// every category, best match first.
#[tauri::command]
pub async fn list_saved_replies(
    desktop: Ds<'_>,
    conversation_id: String,
    query: String,
) -> CmdResult<Vec<SavedReply>> {
    let engine = desktop.engine().await?;
    let now = desktop.server_now().await;
    Ok(engine
        .saved_replies_for(&conversation_id, &query, now)
        .await?)
}

/// A saved reply filled in for a conversation, from the cache (works
/// offline): the text for the composer and the variables left unfilled.
/// When online the server counts the use; offline uses are not counted.
#[tauri::command]
pub async fn fill_saved_reply(
    desktop: Ds<'_>,
    conversation_id: String,
    reply_id: String,
) -> CmdResult<FilledReply> {
    let engine = desktop.engine().await?;
    let now = desktop.server_now().await;
    Ok(engine
        .fill_saved_reply(&conversation_id, &reply_id, now)
        .await?)
}

/// Stages the files of saved reply `reply_id` for the reply being written
/// (from the cache, so offline too): they are the server's already and go
/// with the reply by id.
#[tauri::command]
pub async fn stage_saved_reply_files(
    desktop: Ds<'_>,
    staged: State<'_, Staged>,
    reply_id: String,
) -> CmdResult<Vec<StagedFile>> {
    let engine = desktop.engine().await?;
    let files = engine.saved_reply_files(&reply_id).await?;
    Ok(staged.add_held(&files))
}

/// Searches the local cache (works offline, at the speed of a local read):
/// the same query language, filters, orders and results as the server's
/// `GET /api/v1/search`, over what the cache keeps.
#[tauri::command]
pub async fn search(desktop: Ds<'_>, query: SearchQuery) -> CmdResult<SearchPage> {
    let engine = desktop.engine().await?;
    Ok(engine.search_local(&query).await?)
}

/// Searches the server ("search the server too"): its whole history, for
/// what the cache does not keep. `offline` when it cannot be reached.
#[tauri::command]
pub async fn search_server(desktop: Ds<'_>, query: SearchQuery) -> CmdResult<SearchPage> {
    let engine = desktop.engine().await?;
    Ok(engine.search_server(&query).await?)
}

/// The conversation view's side panel: the customer's profile and their
/// conversations on every channel (from the server, kept in the cache;
/// offline, from the cache).
#[tauri::command]
pub async fn customer_panel(desktop: Ds<'_>, conversation_id: String) -> CmdResult<CustomerPanel> {
    let engine = desktop.engine().await?;
    Ok(engine.customer_panel(&conversation_id).await?)
}

/// Changes a customer's name, company or notes (needs the server).
#[tauri::command]
pub async fn update_customer(
    desktop: Ds<'_>,
    id: String,
    patch: CustomerPatch,
) -> CmdResult<CustomerProfile> {
    let engine = desktop.engine().await?;
    Ok(engine.update_customer(&id, &patch).await?)
}

/// The team's tags, from the cache (offline too).
#[tauri::command]
pub async fn list_tags(desktop: Ds<'_>) -> CmdResult<Vec<Tag>> {
    let engine = desktop.engine().await?;
    Ok(engine.cache().tags().await?)
}

/// Puts a tag on a conversation (`on`) or takes it off (needs the server).
#[tauri::command]
pub async fn set_tag(
    desktop: Ds<'_>,
    conversation_id: String,
    tag_id: String,
    on: bool,
) -> CmdResult<ConversationSummary> {
    let engine = desktop.engine().await?;
    Ok(engine.set_tag(&conversation_id, &tag_id, on).await?)
}

/// Snoozes a conversation until `until`, or until the customer writes
/// (`null`); needs the server.
#[tauri::command]
pub async fn snooze(
    desktop: Ds<'_>,
    conversation_id: String,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> CmdResult<ConversationSummary> {
    let engine = desktop.engine().await?;
    Ok(engine.snooze(&conversation_id, until).await?)
}

/// Wakes a snoozed conversation now (needs the server).
#[tauri::command]
pub async fn unsnooze(desktop: Ds<'_>, conversation_id: String) -> CmdResult<ConversationSummary> {
    let engine = desktop.engine().await?;
    Ok(engine.unsnooze(&conversation_id).await?)
}

/// What this window shows now: the open conversation (`null`: none) and
/// what the agent writes in it. Repeated by the core while it stays open.
#[tauri::command]
pub async fn report_presence(
    desktop: Ds<'_>,
    conversation_id: Option<String>,
    composing: Option<Composing>,
) -> CmdResult<()> {
    let engine = desktop.engine().await?;
    engine.report_presence(PresenceReport {
        conversation_id,
        composing,
    });
    Ok(())
}

/// Who looks at which conversation now (colleagues; the `presence` event
/// brings each change).
#[tauri::command]
pub async fn list_presence(desktop: Ds<'_>) -> CmdResult<Vec<Presence>> {
    let engine = desktop.engine().await?;
    Ok(engine.presence())
}

/// Merges conversation `from` into `kept` (one customer's; needs the server).
#[tauri::command]
pub async fn merge_conversations(
    desktop: Ds<'_>,
    kept: String,
    from: String,
) -> CmdResult<ConversationSummary> {
    let engine = desktop.engine().await?;
    Ok(engine.merge(&kept, &from).await?)
}

/// Undoes the merge that closed conversation `id` (admins; needs the server).
#[tauri::command]
pub async fn unmerge_conversation(desktop: Ds<'_>, id: String) -> CmdResult<ConversationSummary> {
    let engine = desktop.engine().await?;
    Ok(engine.unmerge(&id).await?)
}

/// Creates a tag (admins).
#[tauri::command]
pub async fn create_tag(desktop: Ds<'_>, tag: NewTag) -> CmdResult<Tag> {
    let engine = desktop.engine().await?;
    Ok(engine.create_tag(&tag).await?)
}

/// Changes a tag's name, colour or rules (admins).
#[tauri::command]
pub async fn update_tag(desktop: Ds<'_>, id: String, patch: TagPatch) -> CmdResult<Tag> {
    let engine = desktop.engine().await?;
    Ok(engine.update_tag(&id, &patch).await?)
}

/// Deletes a tag, taking it off every conversation (admins).
#[tauri::command]
pub async fn delete_tag(desktop: Ds<'_>, id: String) -> CmdResult<()> {
    let engine = desktop.engine().await?;
    Ok(engine.delete_tag(&id).await?)
}

/// Customer profiles matching `q` (needs the server).
#[tauri::command]
pub async fn find_customers(desktop: Ds<'_>, q: String) -> CmdResult<Vec<CustomerProfile>> {
    let engine = desktop.engine().await?;
    Ok(engine.find_customers(&q).await?)
}

/// Merges customer profile `from` into `kept` (admins; needs the server).
#[tauri::command]
pub async fn merge_customers(
    desktop: Ds<'_>,
    kept: String,
    from: String,
) -> CmdResult<CustomerProfile> {
    let engine = desktop.engine().await?;
    Ok(engine.merge_customers(&kept, &from).await?)
}

/// Opens the native file dialog (from Rust: the page has no dialog or
/// file-system permission) and stages what the agent picks for the next
/// reply. Empty when the agent cancels.
#[tauri::command]
pub async fn pick_files(
    app: AppHandle<Wry>,
    staged: State<'_, Staged>,
) -> CmdResult<Vec<StagedFile>> {
    files::pick(&app)
        .await
        .iter()
        .map(|p| staged.add(p))
        .collect()
}

/// Stages an image pasted in the composer (its bytes; the page never
/// writes files itself).
#[tauri::command]
pub fn stage_pasted_file(
    app: AppHandle<Wry>,
    staged: State<'_, Staged>,
    filename: String,
    bytes: Vec<u8>,
) -> CmdResult<StagedFile> {
    files::stage_pasted(&app, &staged, &filename, &bytes)
}

/// Takes a staged file off the next reply.
#[tauri::command]
pub fn unstage_file(staged: State<'_, Staged>, id: String) {
    staged.remove(&id);
}

/// Saves an attachment where the agent chooses (the native save dialog).
/// Returns whether it was saved (false: the agent cancelled).
#[tauri::command]
pub async fn save_attachment(
    app: AppHandle<Wry>,
    desktop: Ds<'_>,
    id: String,
    filename: String,
) -> CmdResult<bool> {
    let Some(path) = files::save_path(&app, &filename).await else {
        return Ok(false);
    };
    let engine = desktop.engine().await?;
    let bytes = engine.attachment_bytes(&id).await?;
    std::fs::write(&path, bytes).map_err(|e| {
        CommandError::new(
            "file_unwritable",
            format!("{} could not be written: {e}", path.display()),
        )
    })?;
    Ok(true)
}

/// An image attachment's bytes, for a preview the page shows from a
/// `blob:` URL (never a remote address). Only PNG, JPEG, GIF and WebP.
#[tauri::command]
pub async fn attachment_preview(
    desktop: Ds<'_>,
    id: String,
    content_type: String,
) -> CmdResult<tauri::ipc::Response> {
    if !files::previewable(&content_type) {
        return Err(CommandError::new(
            "not_previewable",
            "Only images are previewed: save the file to open it.",
        ));
    }
    let engine = desktop.engine().await?;
    Ok(tauri::ipc::Response::new(
        engine.attachment_bytes(&id).await?,
    ))
}
