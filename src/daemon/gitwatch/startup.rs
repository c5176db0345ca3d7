//! What git watching says in the log when the daemon starts: each
//! repository it cannot watch, and that no commit will be seen at all when
//! none is watched. Without these a daemon watching nothing (a typo in a
//! path, the defaults run outside a repository) looks healthy in the log.
//! Pure: states in, messages out.

use crate::protocol::RepoState;

/// Warnings for the repositories' states after the first probe.
pub(crate) fn warnings(states: &[(String, RepoState)]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, state) in states {
        match state {
            RepoState::Watching | RepoState::Disabled => {}
            RepoState::Missing { reason } => out.push(format!(
                "repository `{name}` is missing: {reason}; it is watched once it appears"
            )),
            RepoState::Unsupported { reason } | RepoState::Error { reason } => {
                out.push(format!("repository `{name}` cannot be watched: {reason}"))
            }
        }
    }
    let watching = states
        .iter()
        .filter(|(_, s)| *s == RepoState::Watching)
        .count();
    if states.is_empty() {
        out.push(
            "no repositories configured, so no commits are watched; hint: add one under `repositories:` in the config"
                .to_string(),
        );
    } else if watching == 0 {
        out.push(match states.len() {
            1 => "the one configured repository is not watched, so no commit raises a trigger until it can be".to_string(),
            n => format!(
                "none of the {n} configured repositories is watched, so no commit raises a trigger until one can be"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing() -> RepoState {
        RepoState::Missing {
            reason: "`/x` does not exist".into(),
        }
    }

    #[test]
    fn what_is_worth_a_warning() {
        let watching = ("a".to_string(), RepoState::Watching);
        let gone = ("gone".to_string(), missing());
        let bare = (
            "bare".to_string(),
            RepoState::Unsupported {
                reason: "bare".into(),
            },
        );
        let off = ("off".to_string(), RepoState::Disabled);
        type States = Vec<(String, RepoState)>;
        let table: Vec<(States, Vec<&str>)> = vec![
            (vec![watching.clone()], vec![]),
            (vec![watching.clone(), off.clone()], vec![]),
            (
                vec![watching.clone(), gone.clone()],
                vec!["repository `gone` is missing: `/x` does not exist; it is watched once it appears"],
            ),
            (
                vec![gone.clone(), bare.clone()],
                vec![
                    "repository `gone` is missing: `/x` does not exist; it is watched once it appears",
                    "repository `bare` cannot be watched: bare",
                    "none of the 2 configured repositories is watched, so no commit raises a trigger until one can be",
                ],
            ),
            (
                vec![off],
                vec!["the one configured repository is not watched, so no commit raises a trigger until it can be"],
            ),
            (
                vec![],
                vec!["no repositories configured, so no commits are watched; hint: add one under `repositories:` in the config"],
            ),
        ];
        for (states, want) in table {
            assert_eq!(warnings(&states), want, "{states:?}");
        }
    }
}
