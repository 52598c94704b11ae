use super::*;

fn values<'a>(
    customer: Option<&'a str>,
    agent: Option<&'a str>,
    conv: Option<&'a str>,
) -> Values<'a> {
    Values {
        customer_name: customer,
        agent_name: agent,
        conversation_id: conv,
    }
}

#[test]
fn every_variable_is_accepted_and_listed_once_in_order() {
    let t = Template::parse(
        "{{agent.name}} for {{customer.name}} ({{ customer.first_name }}) in {{conversation.id}}; {{agent.name}}",
    )
    .unwrap();
    assert_eq!(
        t.variables(),
        &[
            Variable::AgentName,
            Variable::CustomerName,
            Variable::CustomerFirstName,
            Variable::ConversationId
        ]
    );
    for v in Variable::ALL {
        assert_eq!(Variable::parse(v.name()), Some(*v));
        assert_eq!(v.placeholder(), format!("{{{{{}}}}}", v.name()));
    }
}

#[test]
fn plain_braces_are_text() {
    for body in [
        "no variables",
        "a { b } c",
        "}} closes nothing",
        "{ {x} }",
        "}}{",
    ] {
        assert_eq!(
            Template::parse(body).map(|t| t.variables().len()),
            Ok(0),
            "{body}"
        );
        assert_eq!(fill(body, &Values::default()).text, body);
    }
}

#[test]
fn an_unknown_variable_is_refused_by_name_and_place() {
    let err = Template::parse("Hi {{customer.nmae}}!").unwrap_err();
    assert_eq!(
        err,
        TemplateError::UnknownVariable {
            name: "customer.nmae".into(),
            at: 4
        }
    );
    assert_eq!(err.code(), "unknown_variable");
    let msg = err.to_string();
    assert!(msg.contains("`{{customer.nmae}}`"), "{msg}");
    assert!(msg.contains("character 4"), "{msg}");
    assert!(
        msg.contains("{{customer.first_name}}"),
        "lists the known ones: {msg}"
    );
    // Case matters: the variables are written in lowercase.
    assert!(matches!(
        Template::parse("{{Customer.Name}}"),
        Err(TemplateError::UnknownVariable { .. })
    ));
    // Triple braces are not a way around it.
    assert!(matches!(
        Template::parse("{{{customer.name}}}"),
        Err(TemplateError::UnknownVariable { name, .. }) if name == "{customer.name"
    ));
}

#[test]
fn positions_count_characters_not_bytes() {
    let err = Template::parse("Café — {{nope}}").unwrap_err();
    assert_eq!(
        err,
        TemplateError::UnknownVariable {
            name: "nope".into(),
            at: 8
        }
    );
}

#[test]
fn malformed_braces_are_refused() {
    let err = Template::parse("Hi {{customer.name").unwrap_err();
    assert_eq!(err, TemplateError::Unclosed { at: 4 });
    assert_eq!(err.code(), "malformed_variable");
    assert!(err.to_string().contains("not closed"), "{err}");
    // Another `{{` before the `}}`: the first is the unclosed one.
    assert_eq!(
        Template::parse("{{customer.name {{agent.name}}").unwrap_err(),
        TemplateError::Unclosed { at: 1 }
    );
    assert_eq!(
        Template::parse("a {{ }} b").unwrap_err(),
        TemplateError::Empty { at: 3 }
    );
    assert_eq!(
        Template::parse("{{").unwrap_err(),
        TemplateError::Unclosed { at: 1 }
    );
    assert_eq!(
        Template::parse("x{{}}").unwrap_err().code(),
        "malformed_variable"
    );
}

#[test]
fn fills_every_variable() {
    let f = fill(
        "Hi {{customer.first_name}} ({{customer.name}}), {{agent.name}} on #{{conversation.id}}.",
        &values(Some("  Mary Jackson "), Some("Ada"), Some("c1")),
    );
    assert_eq!(f.text, "Hi Mary (Mary Jackson), Ada on #c1.");
    assert!(f.missing.is_empty());
    assert_eq!(
        fill("{{ agent.name }}", &values(None, Some("Ada"), None)).text,
        "Ada"
    );
}

#[test]
fn a_missing_value_stays_visible_never_blank() {
    let f = fill(
        "Hi {{ customer.first_name }}, this is {{agent.name}}. {{customer.name}}",
        &values(None, Some("Ada"), None),
    );
    assert_eq!(
        f.text,
        "Hi {{customer.first_name}}, this is Ada. {{customer.name}}"
    );
    assert_eq!(
        f.missing,
        vec![Variable::CustomerFirstName, Variable::CustomerName]
    );
    // Blank counts as missing.
    let f = fill("Hi {{customer.name}}", &values(Some("   "), None, None));
    assert_eq!(f.text, "Hi {{customer.name}}");
    assert_eq!(f.missing, vec![Variable::CustomerName]);
    // The same missing variable twice is listed once.
    let f = fill("{{agent.name}} {{agent.name}}", &Values::default());
    assert_eq!(f.missing, vec![Variable::AgentName]);
}

#[test]
fn values_are_not_filled_twice() {
    // A customer who calls themself `{{agent.name}}` is shown as such.
    let f = fill(
        "Hi {{customer.name}}",
        &values(Some("{{agent.name}}"), Some("Ada"), None),
    );
    assert_eq!(f.text, "Hi {{agent.name}}");
    assert!(f.missing.is_empty());
}

#[test]
fn a_malformed_stored_body_is_kept_verbatim_when_filled() {
    let f = fill(
        "{{customer.name}} {{nope}} {{ }} {{agent.name",
        &values(Some("Mary"), Some("Ada"), None),
    );
    assert_eq!(f.text, "Mary {{nope}} {{ }} {{agent.name");
}

#[test]
fn first_names() {
    assert_eq!(first_name("Mary Jackson"), Some("Mary"));
    assert_eq!(first_name("  Mary\tJackson "), Some("Mary"));
    assert_eq!(first_name("Jackson, Mary"), Some("Jackson"));
    assert_eq!(first_name("Prince"), Some("Prince"));
    assert_eq!(first_name("  "), None);
    assert_eq!(first_name(","), None);
    assert_eq!(first_name("Zoë Ångström"), Some("Zoë"));
}

#[test]
fn titles_bodies_and_attachments_are_checked() {
    assert_eq!(
        clean_title("  Refund \n approved "),
        Ok("Refund approved".into())
    );
    assert_eq!(clean_title(" \n "), Err(ReplyError::Title));
    assert_eq!(
        clean_title(&"é".repeat(MAX_TITLE_CHARS)).map(|t| t.chars().count()),
        Ok(MAX_TITLE_CHARS)
    );
    assert_eq!(
        clean_title(&"é".repeat(MAX_TITLE_CHARS + 1)),
        Err(ReplyError::Title)
    );
    assert_eq!(ReplyError::Title.code(), "invalid_title");

    assert_eq!(
        clean_body("\n Hi {{customer.name}},\n\nThanks \n"),
        Ok("Hi {{customer.name}},\n\nThanks".into())
    );
    assert_eq!(clean_body("   "), Err(ReplyError::Body));
    assert_eq!(
        clean_body(&"x".repeat(MAX_BODY_BYTES + 1)),
        Err(ReplyError::Body)
    );
    let e = clean_body("Hi {{customer.email}}").unwrap_err();
    assert_eq!(e.code(), "unknown_variable");
    assert!(e.to_string().contains("customer.email"), "{e}");

    assert_eq!(
        clean_attachments(&[" up1 ".into(), "up2".into(), "up1".into()]),
        Ok(vec!["up1".into(), "up2".into()])
    );
    assert_eq!(clean_attachments(&[]), Ok(vec![]));
    assert_eq!(
        clean_attachments(&["".into()]),
        Err(ReplyError::Attachments)
    );
    assert_eq!(
        clean_attachments(&["a\u{7}b".into()]),
        Err(ReplyError::Attachments)
    );
    assert_eq!(
        clean_attachments(&["x".repeat(MAX_ATTACHMENT_ID_BYTES + 1)]),
        Err(ReplyError::Attachments)
    );
    let many: Vec<String> = (0..=MAX_ATTACHMENTS).map(|i| format!("u{i}")).collect();
    assert_eq!(clean_attachments(&many), Err(ReplyError::Attachments));
    assert_eq!(ReplyError::Attachments.code(), "invalid_attachments");
}

#[test]
fn team_replies_for_everyone_admins_manage_personal_ones_private() {
    let none: Vec<String> = vec![];
    let agent = Viewer {
        id: "pat",
        role: Role::Agent,
        categories: &none,
    };
    let admin = Viewer {
        id: "boss",
        role: Role::Admin,
        categories: &none,
    };
    assert!(can_see(&agent, ReplyScope::Team, None));
    assert!(!can_manage(&agent, ReplyScope::Team, None));
    assert!(!can_create(&agent, ReplyScope::Team));
    assert!(can_see(&admin, ReplyScope::Team, None));
    assert!(can_manage(&admin, ReplyScope::Team, None));
    assert!(can_create(&admin, ReplyScope::Team));

    assert!(can_create(&agent, ReplyScope::Personal));
    assert!(can_see(&agent, ReplyScope::Personal, Some("pat")));
    assert!(can_manage(&agent, ReplyScope::Personal, Some("pat")));
    // Someone else's personal reply: not even an admin.
    assert!(!can_see(&admin, ReplyScope::Personal, Some("pat")));
    assert!(!can_manage(&admin, ReplyScope::Personal, Some("pat")));
    assert!(!can_see(&agent, ReplyScope::Personal, None));
}

#[test]
fn category_scope_is_a_filter() {
    assert!(offered_for(None, None));
    assert!(offered_for(None, Some("billing")));
    assert!(offered_for(Some("billing"), Some("billing")));
    assert!(!offered_for(Some("billing"), Some("tech")));
    assert!(!offered_for(Some("billing"), None));
}

#[test]
fn the_picker_ranks_title_prefix_then_word_then_title_then_body() {
    let c = |title, body, category_id| Candidate {
        title,
        body,
        category_id,
    };
    let all = [
        c("Shipping delays", "Your refund is on its way", None),
        c("Refund approved", "We refunded you", None),
        c("Partial refund", "Part of it", None),
        c("Prerefunded", "x", None),
        c("Billing refund", "x", Some("billing")),
        c("Hello", "Hi there", None),
    ];
    assert_eq!(pick(&all, "ref", Some("tech")), vec![1, 2, 3, 0]);
    assert_eq!(pick(&all, "REF", Some("billing")), vec![1, 4, 2, 3, 0]);
    // An empty query lists everything offered, by title.
    assert_eq!(pick(&all, " ", None), vec![5, 2, 3, 1, 0]);
    assert!(pick(&all, "zzz", None).is_empty());
    assert_eq!(match_rank("hi", "Hello", "Hi there"), Some(3));
}

#[test]
fn usage_is_ordered_most_used_first_then_by_title() {
    let u = |reply_id, title, uses| Usage {
        reply_id,
        title,
        uses,
    };
    let mut v = [
        u("3", "b", 2),
        u("1", "B", 5),
        u("2", "a", 2),
        u("0", "a", 2),
    ];
    v.sort_by(cmp_usage);
    let ids: Vec<&str> = v.iter().map(|u| u.reply_id).collect();
    assert_eq!(ids, ["1", "0", "2", "3"]);
}
