//! Git facts as they travel on the wire and sit in the store: the kind of
//! a recorded commit (`"kind"` of `commit` events, `commits.kind`).
//! Plain data, shared by the watcher that finds commits, the store that
//! keeps them and the clients that read them.

use serde::{Deserialize, Serialize};

/// What made a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitKind {
    Commit,
    Amend,
    Merge,
    CherryPick,
    Revert,
    Rebase,
}

impl CommitKind {
    pub const ALL: [CommitKind; 6] = [
        CommitKind::Commit,
        CommitKind::Amend,
        CommitKind::Merge,
        CommitKind::CherryPick,
        CommitKind::Revert,
        CommitKind::Rebase,
    ];

    /// The wire and store name.
    pub fn as_str(self) -> &'static str {
        match self {
            CommitKind::Commit => "commit",
            CommitKind::Amend => "amend",
            CommitKind::Merge => "merge",
            CommitKind::CherryPick => "cherry-pick",
            CommitKind::Revert => "revert",
            CommitKind::Rebase => "rebase",
        }
    }

    pub fn parse(s: &str) -> Option<CommitKind> {
        CommitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_the_wire_and_in_the_store_agree() {
        for kind in CommitKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<CommitKind>(&json).unwrap(), kind);
            assert_eq!(CommitKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(CommitKind::parse("checkout"), None);
    }
}
