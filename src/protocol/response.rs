//! Replies: one [`Response`] variant per kind of answer.
//!
//! On the wire every reply is one flat object, `{"v":1,"ok":true,
//! "message":…}` plus the field of its kind (`status`, `trigger`,
//! `reload`), or `{"v":1,"ok":false,"error":…,"error_kind":…}`. That
//! shape is [`ReplyLine`]; the enum converts to and from it, so code on
//! both sides matches on what the answer is instead of probing optional
//! fields.

use serde::{Deserialize, Serialize};

use super::doctor::DoctorView;
use super::prompt::{NoteInfo, PromptInfo};
use super::status::Status;
use super::trigger::TriggerInfo;
use super::PROTOCOL_VERSION;

/// One reply line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ReplyLine", from = "ReplyLine")]
pub enum Response {
    /// `pause`, `resume`, `skip`, `subscribe`: done; `message` says what
    /// changed, for people.
    Done { message: String },
    /// `status`: the daemon's state.
    Status {
        message: String,
        status: Box<Status>,
    },
    /// `trigger`: the prompt it recorded.
    Triggered {
        message: String,
        trigger: TriggerInfo,
    },
    /// `reload`: the new config was applied.
    Reloaded { message: String, reload: ReloadInfo },
    /// `note`: the update it stored.
    Noted { message: String, note: NoteInfo },
    /// `snooze`: the prompt as stored now.
    Prompt {
        message: String,
        prompt: Box<PromptInfo>,
    },
    /// `prompts`: newest first.
    Prompts {
        message: String,
        prompts: Vec<PromptInfo>,
    },
    /// `metrics`: OpenMetrics text, ending in `# EOF`.
    Metrics { message: String, metrics: String },
    /// `doctor`: the daemon's own view.
    Doctor {
        message: String,
        doctor: Box<DoctorView>,
    },
    /// Any request that failed (a rejected reload among them).
    Failed(Failure),
}

impl Response {
    pub(crate) fn done(message: impl Into<String>) -> Response {
        Response::Done {
            message: message.into(),
        }
    }

    pub(crate) fn failed(kind: ErrorKind, error: impl Into<String>) -> Response {
        Response::Failed(Failure::new(kind, error))
    }

    /// The sentence for people of a successful reply.
    pub(crate) fn message(&self) -> Option<&str> {
        match self {
            Response::Done { message }
            | Response::Status { message, .. }
            | Response::Triggered { message, .. }
            | Response::Reloaded { message, .. }
            | Response::Noted { message, .. }
            | Response::Prompt { message, .. }
            | Response::Prompts { message, .. }
            | Response::Metrics { message, .. }
            | Response::Doctor { message, .. } => Some(message),
            Response::Failed(_) => None,
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    /// For people: what failed and why.
    pub error: String,
}

impl Failure {
    pub(crate) fn new(kind: ErrorKind, error: impl Into<String>) -> Failure {
        Failure {
            kind,
            error: error.into(),
        }
    }
}

impl From<Failure> for Response {
    fn from(f: Failure) -> Response {
        Response::Failed(f)
    }
}

/// The machine-readable class of a failure (`error_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not JSON, not an object, no `v` or `cmd`, or bad fields.
    BadRequest,
    /// A command this daemon does not know (probably a newer client).
    UnknownCommand,
    /// A protocol version `v` this daemon does not speak.
    UnsupportedVersion,
    /// A request line over [`super::MAX_LINE`] bytes; the connection closes.
    TooLong,
    /// A reload whose config is invalid; the old config stays.
    Rejected,
    /// A connection from another user.
    PermissionDenied,
    /// The daemon failed (its store, or it is shutting down).
    Internal,
    /// No such prompt, or none outstanding (`snooze`, `note --prompt`).
    NotFound,
    /// The prompt cannot change that way (e.g. it was already answered).
    Conflict,
    /// A kind this version does not know (a newer daemon's); only decoded.
    #[serde(other, skip_serializing)]
    Other,
}

/// What a reload changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReloadInfo {
    /// What changed, one line each (empty when nothing did).
    pub changes: Vec<String>,
}

/// A reply as it is on the wire.
#[derive(Serialize, Deserialize)]
struct ReplyLine {
    v: u32,
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_kind: Option<ErrorKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Box<Status>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trigger: Option<TriggerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reload: Option<ReloadInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<NoteInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompt: Option<Box<PromptInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompts: Option<Vec<PromptInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metrics: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    doctor: Option<Box<DoctorView>>,
}

impl ReplyLine {
    fn new(ok: bool) -> ReplyLine {
        ReplyLine {
            v: PROTOCOL_VERSION,
            ok,
            error: None,
            error_kind: None,
            message: None,
            status: None,
            trigger: None,
            reload: None,
            note: None,
            prompt: None,
            prompts: None,
            metrics: None,
            doctor: None,
        }
    }
}

impl From<Response> for ReplyLine {
    fn from(r: Response) -> ReplyLine {
        let ok = ReplyLine::new(true);
        match r {
            Response::Done { message } => ReplyLine {
                message: Some(message),
                ..ok
            },
            Response::Status { message, status } => ReplyLine {
                message: Some(message),
                status: Some(status),
                ..ok
            },
            Response::Triggered { message, trigger } => ReplyLine {
                message: Some(message),
                trigger: Some(trigger),
                ..ok
            },
            Response::Reloaded { message, reload } => ReplyLine {
                message: Some(message),
                reload: Some(reload),
                ..ok
            },
            Response::Noted { message, note } => ReplyLine {
                message: Some(message),
                note: Some(note),
                ..ok
            },
            Response::Prompt { message, prompt } => ReplyLine {
                message: Some(message),
                prompt: Some(prompt),
                ..ok
            },
            Response::Prompts { message, prompts } => ReplyLine {
                message: Some(message),
                prompts: Some(prompts),
                ..ok
            },
            Response::Metrics { message, metrics } => ReplyLine {
                message: Some(message),
                metrics: Some(metrics),
                ..ok
            },
            Response::Doctor { message, doctor } => ReplyLine {
                message: Some(message),
                doctor: Some(doctor),
                ..ok
            },
            Response::Failed(Failure { kind, error }) => ReplyLine {
                error: Some(error),
                error_kind: Some(kind),
                ..ReplyLine::new(false)
            },
        }
    }
}

impl From<ReplyLine> for Response {
    fn from(line: ReplyLine) -> Response {
        if !line.ok {
            return Response::Failed(Failure {
                kind: line.error_kind.unwrap_or(ErrorKind::Other),
                error: line.error.unwrap_or_default(),
            });
        }
        let message = line.message.unwrap_or_default();
        if let Some(status) = line.status {
            Response::Status { message, status }
        } else if let Some(trigger) = line.trigger {
            Response::Triggered { message, trigger }
        } else if let Some(reload) = line.reload {
            Response::Reloaded { message, reload }
        } else if let Some(note) = line.note {
            Response::Noted { message, note }
        } else if let Some(prompt) = line.prompt {
            Response::Prompt { message, prompt }
        } else if let Some(prompts) = line.prompts {
            Response::Prompts { message, prompts }
        } else if let Some(metrics) = line.metrics {
            Response::Metrics { message, metrics }
        } else if let Some(doctor) = line.doctor {
            Response::Doctor { message, doctor }
        } else {
            Response::Done { message }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(line: &str) -> Response {
        let r: Response = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), line);
        r
    }

    #[test]
    fn each_kind_of_answer_has_its_own_variant() {
        assert_eq!(
            round_trip(r#"{"v":1,"ok":true,"message":"prompts resumed"}"#),
            Response::done("prompts resumed")
        );
        assert_eq!(
            round_trip(
                r#"{"v":1,"ok":true,"message":"configuration reloaded","reload":{"changes":["prompt_interval: 180 -> 90"]}}"#
            ),
            Response::Reloaded {
                message: "configuration reloaded".into(),
                reload: ReloadInfo {
                    changes: vec!["prompt_interval: 180 -> 90".into()]
                }
            }
        );
        let triggered = round_trip(
            r#"{"v":1,"ok":true,"message":"prompt triggered","trigger":{"id":7,"kind":"manual","fired_at":"2026-11-26T09:00:00Z","scheduled_at":null,"late":false,"reason":null}}"#,
        );
        assert!(matches!(triggered, Response::Triggered { trigger, .. } if trigger.id == 7));
        let noted = round_trip(
            r#"{"v":1,"ok":true,"message":"answered prompt 3","note":{"update_id":9,"prompt_id":3,"commits":2}}"#,
        );
        assert!(matches!(noted, Response::Noted { note, .. } if note.update_id == 9));
        let metrics = round_trip(
            r##"{"v":1,"ok":true,"message":"metrics","metrics":"# TYPE x gauge\nx 1\n# EOF\n"}"##,
        );
        assert!(
            matches!(metrics, Response::Metrics { metrics, .. } if metrics.ends_with("# EOF\n"))
        );
        let listed = round_trip(r#"{"v":1,"ok":true,"message":"0 prompts","prompts":[]}"#);
        assert!(matches!(listed, Response::Prompts { prompts, .. } if prompts.is_empty()));
        assert_eq!(
            round_trip(r#"{"v":1,"ok":false,"error":"x: unknown key","error_kind":"rejected"}"#),
            Response::failed(ErrorKind::Rejected, "x: unknown key")
        );
    }

    #[test]
    fn a_newer_daemons_error_kind_still_carries_its_text() {
        let r: Response = serde_json::from_str(
            r#"{"v":1,"ok":false,"error":"quota exceeded","error_kind":"quota_exceeded"}"#,
        )
        .unwrap();
        assert_eq!(r, Response::failed(ErrorKind::Other, "quota exceeded"));
    }

    #[test]
    fn a_hello_line_is_not_a_reply() {
        let hello = r#"{"v":1,"hello":{"version":"0.1.0","protocol":1,"pid":4242}}"#;
        assert!(serde_json::from_str::<Response>(hello).is_err());
    }
}
