//! What one notification says and offers, from the loop's [`PromptView`]
//! and what the server can do: summary, body (with a how-to-answer line
//! when nothing in the notification can take an answer), actions and
//! hints; and what an action key or a close reason means for the prompt.
//! Pure functions, so every combination is a table test.

use super::super::messages::{PromptView, Report};
use super::super::text;

/// The `actions` entry "Log update" (and the notification's default action,
/// a click on its body) opens the input dialog.
pub(crate) const LOG: &str = "log";
pub(crate) const SNOOZE: &str = "snooze";
pub(crate) const SKIP: &str = "skip";
/// KDE's inline reply: this action key turns on the reply field.
pub(crate) const INLINE_REPLY: &str = "inline-reply";
const DEFAULT: &str = "default";

/// The freedesktop `NotificationClosed` reason "dismissed by the user".
pub(crate) const CLOSED_BY_USER: u32 = 2;

/// What the server said it supports (`GetCapabilities`), as far as devtrack
/// cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Capabilities {
    pub actions: bool,
    pub body_markup: bool,
    pub inline_reply: bool,
    /// The server lists the `default` action with the others (dunst's
    /// context menu lists every action by its label), so a separate "Log
    /// update" action would be listed twice.
    pub lists_default: bool,
}

/// Servers (by `GetServerInformation`'s name) that list the `default`
/// action among the others; GNOME Shell, Plasma and most others take it
/// as the click on the body and show no button for it.
const LIST_DEFAULT: &[&str] = &["dunst"];

impl Capabilities {
    /// From `GetCapabilities`' list and `GetServerInformation`'s name.
    pub(crate) fn from_server(list: &[String], name: &str) -> Capabilities {
        let has = |cap: &str| list.iter().any(|c| c == cap);
        Capabilities {
            actions: has("actions"),
            body_markup: has("body-markup"),
            inline_reply: has("inline-reply"),
            lists_default: LIST_DEFAULT.contains(&name),
        }
    }
}

/// A hint's value (`a{sv}`): the two types used here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hint {
    Text(String),
    Byte(u8),
}

/// The arguments of one `Notify` call that depend on the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notification {
    pub summary: String,
    pub body: String,
    /// Key, label, key, label …
    pub actions: Vec<String>,
    pub hints: Vec<(&'static str, Hint)>,
}

/// The notification for `view`. `dialog`: an input dialog can be opened
/// (enabled and installed), so "Log update" does something.
pub(crate) fn notification(view: &PromptView, caps: Capabilities, dialog: bool) -> Notification {
    let mut actions = Vec::new();
    let mut push = |key: &str, label: &str| {
        actions.push(key.to_string());
        actions.push(label.to_string());
    };
    if caps.inline_reply {
        push(INLINE_REPLY, "Reply");
    }
    if dialog {
        push(DEFAULT, "Log update");
        if !caps.lists_default {
            push(LOG, "Log update");
        }
    }
    push(SNOOZE, "Snooze");
    push(SKIP, "Skip");

    let answerable = caps.inline_reply || (dialog && caps.actions);
    let mut body = text::shown_body(&view.body, answerable);
    if caps.body_markup {
        body = escape_markup(&body);
    }

    let mut hints = vec![
        ("urgency", Hint::Byte(1)),
        (
            "desktop-entry",
            Hint::Text(crate::service::desktop_entry::NAME.to_string()),
        ),
    ];
    if caps.inline_reply {
        hints.push((
            "x-kde-reply-placeholder-text",
            Hint::Text("What did you work on?".to_string()),
        ));
    }
    Notification {
        summary: view.summary.clone(),
        body,
        actions,
        hints,
    }
}

/// What an invoked action asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Report(Report),
    /// Open the input dialog (when there is one).
    Dialog,
    Ignore,
}

pub(crate) fn action(key: &str) -> Action {
    match key {
        SNOOZE => Action::Report(Report::Snooze),
        SKIP => Action::Report(Report::Skip),
        LOG | DEFAULT => Action::Dialog,
        _ => Action::Ignore,
    }
}

/// A `NotificationClosed` reason: only the person's own dismissal means
/// anything (expired, closed by devtrack, undefined do not).
pub(crate) fn closed(reason: u32) -> Option<Report> {
    (reason == CLOSED_BY_USER).then_some(Report::Dismissed)
}

/// An answer typed into a reply field or dialog: trimmed, and none when
/// empty.
pub(crate) fn answer(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The body-markup subset is XML-like: `&`, `<` and `>` must be escaped.
pub(crate) fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::prompts::text::HOW_TO_ANSWER;

    fn view(body: &str) -> PromptView {
        PromptView {
            id: 7,
            summary: "3 commits in api-server since 14:00".to_string(),
            body: body.to_string(),
            trigger_kind: "commit".to_string(),
            repos: vec!["api-server".to_string()],
            json: "{}".to_string(),
            update: false,
            notification: None,
        }
    }

    fn caps(list: &[&str]) -> Capabilities {
        Capabilities::from_server(
            &list.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "gnome-shell",
        )
    }

    #[test]
    fn log_update_is_listed_once_by_a_server_that_lists_every_action() {
        let list = ["actions".to_string()];
        let dunst = Capabilities::from_server(&list, "dunst");
        assert!(dunst.lists_default);
        let n = notification(&view("What did you work on?"), dunst, true);
        assert_eq!(
            n.actions,
            ["default", "Log update", "snooze", "Snooze", "skip", "Skip"]
        );
        let labels: Vec<&String> = n.actions.iter().skip(1).step_by(2).collect();
        let mut unique = labels.clone();
        unique.dedup();
        assert_eq!(labels, unique, "no label twice");
        assert!(!Capabilities::from_server(&list, "gnome-shell").lists_default);
        assert!(!Capabilities::from_server(&list, "Plasma").lists_default);
    }

    #[test]
    fn actions_and_how_to_answer_follow_what_can_take_an_answer() {
        let how = format!("What did you work on?\n\n{HOW_TO_ANSWER}");
        let cases: &[(&[&str], bool, &[&str], &str)] = &[
            // Inline reply: the reply field is the answer.
            (
                &["actions", "inline-reply"],
                false,
                &["inline-reply", "snooze", "skip"],
                "What did you work on?",
            ),
            // A dialog behind "Log update".
            (
                &["actions"],
                true,
                &["default", "log", "snooze", "skip"],
                "What did you work on?",
            ),
            // Neither: the body says how.
            (&["actions"], false, &["snooze", "skip"], &how),
            // A dialog but no action buttons to open it.
            (&["body"], true, &["default", "log", "snooze", "skip"], &how),
            (
                &["actions", "inline-reply"],
                true,
                &["inline-reply", "default", "log", "snooze", "skip"],
                "What did you work on?",
            ),
        ];
        for (list, dialog, keys, body) in cases {
            let n = notification(&view("What did you work on?"), caps(list), *dialog);
            let got: Vec<&str> = n.actions.iter().step_by(2).map(String::as_str).collect();
            assert_eq!(&got, keys, "caps {list:?}, dialog {dialog}");
            assert_eq!(n.body, *body, "caps {list:?}, dialog {dialog}");
            assert_eq!(n.summary, "3 commits in api-server since 14:00");
            let placeholder = n
                .hints
                .iter()
                .any(|(k, _)| *k == "x-kde-reply-placeholder-text");
            assert_eq!(placeholder, list.contains(&"inline-reply"));
        }
    }

    #[test]
    fn labels_follow_their_keys() {
        let n = notification(&view("q"), caps(&["actions", "inline-reply"]), true);
        let pairs: Vec<(&str, &str)> = n
            .actions
            .chunks(2)
            .map(|p| (p[0].as_str(), p[1].as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("inline-reply", "Reply"),
                ("default", "Log update"),
                ("log", "Log update"),
                ("snooze", "Snooze"),
                ("skip", "Skip"),
            ]
        );
    }

    #[test]
    fn a_body_that_already_says_how_is_left_alone_and_markup_is_escaped() {
        let n = notification(&view("or run `devtrack note`"), caps(&[]), false);
        assert_eq!(n.body, "or run `devtrack note`");
        let n = notification(
            &view("fix <b> & co"),
            caps(&["body-markup", "inline-reply"]),
            false,
        );
        assert_eq!(n.body, "fix &lt;b&gt; &amp; co");
        let n = notification(&view(""), caps(&[]), false);
        assert_eq!(n.body, HOW_TO_ANSWER);
    }

    #[test]
    fn actions_closes_and_answers_map_to_reports() {
        assert_eq!(action("snooze"), Action::Report(Report::Snooze));
        assert_eq!(action("skip"), Action::Report(Report::Skip));
        assert_eq!(action("log"), Action::Dialog);
        assert_eq!(action("default"), Action::Dialog);
        assert_eq!(action("inline-reply"), Action::Ignore);
        assert_eq!(action("Snooze"), Action::Ignore);
        for (reason, want) in [
            (1, None),
            (2, Some(Report::Dismissed)),
            (3, None),
            (4, None),
            (0, None),
        ] {
            assert_eq!(closed(reason), want, "reason {reason}");
        }
        assert_eq!(answer("  fixed #12\n"), Some("fixed #12".to_string()));
        assert_eq!(answer(" \n"), None);
    }
}
