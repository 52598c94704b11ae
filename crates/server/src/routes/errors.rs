//! The error answers every operation can give, written into the document.
//!
//! A handler's `#[utoipa::path]` names the answers of its own rules (409
//! `overdue_first`, 403 `not_assignee`…). The answers that come from the
//! shared machinery are added here, from what the operation is: a JSON body
//! can be malformed (400), too large (413) or invalid (422); a path or query
//! parameter can be malformed (400); a path names something that may not
//! exist (404); a bearer token can be missing or revoked (401) and the
//! account may lack the right (403); a write can conflict with the state
//! (409) or be refused by a rule (422); any request that reaches the
//! database can find it unavailable (503) or fail (500); the login and the
//! widget's visitors are rate-limited (429 with `Retry-After`). Every one has
//! the error shape `{"error": {"code", "message"}}`. An answer a handler
//! already documents keeps its own description.

use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn, PathItem};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

/// Adds to every operation of `doc` the error answers it can give.
pub fn document(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations(item) {
            for (status, why) in answers(path, method, op) {
                add(op, status, why);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> Vec<(HttpMethod, &mut Operation)> {
    let PathItem {
        get,
        put,
        post,
        delete,
        patch,
        ..
    } = item;
    [
        (HttpMethod::Get, get),
        (HttpMethod::Put, put),
        (HttpMethod::Post, post),
        (HttpMethod::Delete, delete),
        (HttpMethod::Patch, patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
    .collect()
}

/// The shared machinery's answers for one operation.
pub fn answers(
    path: &str,
    method: HttpMethod,
    op: &Operation,
) -> Vec<(&'static str, &'static str)> {
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let in_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let body = op.request_body.is_some();
    let token = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let writes = method != HttpMethod::Get;
    let static_file = matches!(path, "/api/v1/openapi.json" | "/widget.js");
    let mut out = Vec::new();
    if body {
        out.push((
            "400",
            "The body is not JSON (or not sent as application/json)",
        ));
        out.push(("413", "The body is larger than this endpoint takes"));
        out.push(("422", "The body is JSON but not valid for this operation"));
    }
    if in_path || in_query {
        out.push(("400", "A path or query parameter is malformed"));
    }
    if in_path {
        out.push(("404", "Nothing with this id that the caller may see"));
    }
    if token {
        out.push((
            "401",
            "No valid token: missing, malformed, expired or logged out",
        ));
        out.push((
            "403",
            "The caller may not do this (role, assignment or status)",
        ));
    }
    if token && writes && path.starts_with("/api/v1/") {
        out.push(("409", "The conversation's state does not allow it now"));
        out.push(("422", "A rule of the inbox refuses the values given"));
    }
    if path.starts_with("/channels/") {
        out.push(("401", "The channel's secret or signature does not match"));
        out.push(("403", "The channel is not configured on this server"));
        out.push(("413", "The body is larger than this channel takes"));
        out.push(("422", "The message cannot be taken as sent"));
    }
    if path.starts_with("/widget/v1/") {
        out.push(("403", "The page's origin is not one the team allowed"));
        out.push((
            "429",
            "Too many requests from this visitor or address; see Retry-After",
        ));
        if path != "/widget/v1/conversations" {
            out.push(("401", "No valid visitor token"));
        }
    }
    if path == "/api/v1/events" {
        out.push((
            "429",
            "`too_many_streams`: this token, or this server, has its share of streams open; see Retry-After",
        ));
    }
    if path == "/api/v1/auth/login" {
        out.push(("401", "Wrong email or password"));
        out.push(("429", "Too many failed logins; see Retry-After"));
    }
    if path == "/api/v1/bot/handoff" {
        out.push(("401", "Not the bot token"));
    }
    if !static_file {
        out.push(("500", "The server failed; nothing was changed"));
        out.push((
            "503",
            "The database cannot be reached or the server is stopping; try again",
        ));
    }
    out
}

fn add(op: &mut Operation, status: &str, why: &str) {
    if op.responses.responses.contains_key(status) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(why)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    op.responses
        .responses
        .insert(status.to_owned(), response.into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::security::SecurityRequirement;

    fn statuses(path: &str, method: HttpMethod, op: &Operation) -> Vec<&'static str> {
        let mut s: Vec<_> = answers(path, method, op).into_iter().map(|a| a.0).collect();
        s.sort_unstable();
        s.dedup();
        s
    }

    #[test]
    fn a_write_with_a_token_a_body_and_an_id_can_answer_every_error() {
        let op = OperationBuilder::new()
            .parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path),
            )
            .request_body(Some(RequestBodyBuilder::new().build()))
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .build();
        assert_eq!(
            statuses("/api/v1/conversations/{id}/transfer", HttpMethod::Post, &op),
            ["400", "401", "403", "404", "409", "413", "422", "500", "503"]
        );
    }

    #[test]
    fn the_document_and_the_script_only_fail_with_the_server() {
        let op = OperationBuilder::new().build();
        assert!(statuses("/api/v1/openapi.json", HttpMethod::Get, &op).is_empty());
        assert_eq!(
            statuses("/api/v1/health", HttpMethod::Get, &op),
            ["500", "503"]
        );
    }

    #[test]
    fn a_handlers_own_description_is_kept() {
        let mut op = OperationBuilder::new()
            .response("409", ResponseBuilder::new().description("overdue_first"))
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .build();
        add(&mut op, "409", "generic");
        let utoipa::openapi::RefOr::T(r) = &op.responses.responses["409"] else {
            panic!("a response");
        };
        assert_eq!(r.description, "overdue_first");
    }
}
