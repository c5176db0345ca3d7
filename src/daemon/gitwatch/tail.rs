//! Reading what was appended to a reflog since its [`Cursor`].
//!
//! A cursor names the file it was taken on (`dev:inode`, the one identity
//! git watching uses for files and directories: [`stat`]), how many bytes
//! were consumed, and the new hash of the last consumed line. When the file
//! was replaced, truncated, or no longer has that line where the cursor
//! says (`git reflog expire`, gc, a recreated repository), reading starts
//! over from the beginning; already stored commits are skipped by the
//! store's uniqueness, so a resync never duplicates and never loses.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::reflog::parse_line;
use crate::store::cursor::Cursor;

/// Where to continue reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    At(u64),
    /// The file is not the one the cursor describes: read it all again.
    Resync,
}

/// Decides where to continue. `line_before_offset` is the complete line
/// that ends exactly at the cursor's offset, when it could be read.
pub(crate) fn decide(
    cursor: &Cursor,
    file_id: &str,
    size: u64,
    line_before_offset: Option<&[u8]>,
) -> Start {
    if cursor.file_id != file_id || size < cursor.offset {
        return Start::Resync;
    }
    if cursor.offset == 0 {
        return Start::At(0);
    }
    match (&cursor.last_hash, line_before_offset) {
        (Some(hash), Some(line)) => {
            let text = String::from_utf8_lossy(line);
            match parse_line(&text) {
                Ok(l) if l.new.eq_ignore_ascii_case(hash) => Start::At(cursor.offset),
                _ => Start::Resync,
            }
        }
        // The byte before the offset is not a newline: the file changed.
        (Some(_), None) => Start::Resync,
        (None, _) => Start::At(cursor.offset),
    }
}

/// What was read from a reflog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub file_id: String,
    /// The byte offset `bytes` starts at.
    pub start: u64,
    pub resync: bool,
    pub bytes: Vec<u8>,
}

/// A file's or directory's identity: `dev:inode`.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("{}:{}", meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> String {
    "file".to_string()
}

/// The identity and size of the file or directory at `path`; `None` when
/// it does not exist.
pub(crate) fn stat(path: &Path) -> std::io::Result<Option<(String, u64)>> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some((identity(&m), m.len()))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A cursor at the current end of `path` (or at the start of a file that
/// does not exist yet): where a newly seen repository starts.
pub(crate) fn at_end(path: &Path, now: DateTime<Utc>) -> std::io::Result<Cursor> {
    Ok(match stat(path)? {
        Some((file_id, size)) => {
            let mut file = File::open(path)?;
            let (offset, last_hash) = match last_complete_line(&mut file, size)? {
                Some((end, line)) => {
                    let hash = parse_line(&String::from_utf8_lossy(&line))
                        .ok()
                        .map(|l| l.new);
                    (end, hash)
                }
                None => (0, None),
            };
            Cursor {
                file_id,
                offset,
                last_hash,
                updated_at: now,
            }
        }
        None => Cursor {
            updated_at: now,
            ..Cursor::absent()
        },
    })
}

/// Longest line checked when verifying a cursor; longer lines are trusted
/// on identity and size alone.
const TAIL_WINDOW: u64 = 16 * 1024;

/// The line before a cursor's offset.
enum Tail {
    /// The complete line ending at the offset (without its newline).
    Line(Vec<u8>),
    /// The byte before the offset is not a newline: the file changed.
    Broken,
    /// Longer than the window: cannot be checked.
    Unknown,
}

fn line_ending_at(file: &mut File, end: u64) -> std::io::Result<Tail> {
    if end == 0 {
        return Ok(Tail::Broken);
    }
    let from = end.saturating_sub(TAIL_WINDOW);
    file.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0; (end - from) as usize];
    file.read_exact(&mut buf)?;
    if buf.last() != Some(&b'\n') {
        return Ok(Tail::Broken);
    }
    buf.pop();
    Ok(match buf.iter().rposition(|&b| b == b'\n') {
        Some(i) => Tail::Line(buf[i + 1..].to_vec()),
        None if from == 0 => Tail::Line(buf),
        None => Tail::Unknown,
    })
}

/// The end offset (after its newline) and text of the last complete line.
fn last_complete_line(file: &mut File, size: u64) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    let from = size.saturating_sub(TAIL_WINDOW);
    file.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
        return Ok(None);
    };
    let start = buf[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    Ok(Some((from + end as u64 + 1, buf[start..end].to_vec())))
}

/// Reads everything after `cursor` (or the whole file on resync). `None`
/// when the file does not exist.
pub(crate) fn read_new(path: &Path, cursor: &Cursor) -> std::io::Result<Option<Chunk>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    let file_id = identity(&meta);
    let size = meta.len();
    let same_file = cursor.file_id == file_id && cursor.offset <= size;
    let start = if same_file && cursor.offset > 0 {
        match line_ending_at(&mut file, cursor.offset)? {
            Tail::Line(line) => decide(cursor, &file_id, size, Some(&line)),
            Tail::Broken => Start::Resync,
            // A very long last line: trust identity and size.
            Tail::Unknown => Start::At(cursor.offset),
        }
    } else {
        decide(cursor, &file_id, size, None)
    };
    let (offset, resync) = match start {
        Start::At(o) => (o, false),
        Start::Resync => (0, true),
    };
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(Chunk {
        file_id,
        start: offset,
        resync,
        bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::cursor::ABSENT;
    use std::io::Write;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    fn line(old: &str, new: &str) -> String {
        format!("{old} {new} X <x@y> 1700000000 +0000\tcommit: m\n")
    }

    fn cursor(id: &str, offset: u64, hash: Option<&str>) -> Cursor {
        Cursor {
            file_id: id.into(),
            offset,
            last_hash: hash.map(Into::into),
            updated_at: DateTime::<Utc>::default(),
        }
    }

    #[test]
    fn decides_continue_or_resync() {
        let l = line(A, B);
        let body = l.trim_end_matches('\n').as_bytes();
        let c = cursor("1:2", 100, Some(B));
        assert_eq!(decide(&c, "1:2", 150, Some(body)), Start::At(100));
        assert_eq!(decide(&c, "1:3", 150, Some(body)), Start::Resync);
        assert_eq!(decide(&c, "1:2", 50, Some(body)), Start::Resync);
        let other = line(B, A);
        let other = other.trim_end_matches('\n').as_bytes();
        assert_eq!(decide(&c, "1:2", 150, Some(other)), Start::Resync);
        assert_eq!(decide(&c, "1:2", 150, None), Start::Resync);
        assert_eq!(
            decide(&cursor(ABSENT, 0, None), "1:2", 10, None),
            Start::Resync
        );
        assert_eq!(
            decide(&cursor("1:2", 0, None), "1:2", 10, None),
            Start::At(0)
        );
    }

    #[test]
    fn reads_appended_lines_and_resyncs_on_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("HEAD");
        let now = Utc::now();
        let start = at_end(&path, now).unwrap();
        assert_eq!(start.file_id, ABSENT);

        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(line(A, B).as_bytes()).unwrap();
        let chunk = read_new(&path, &start).unwrap().unwrap();
        assert!(chunk.resync);
        assert_eq!(chunk.bytes, line(A, B).as_bytes());

        let c = at_end(&path, now).unwrap();
        assert_eq!(c.offset, line(A, B).len() as u64);
        assert_eq!(c.last_hash.as_deref(), Some(B));
        f.write_all(line(B, A).as_bytes()).unwrap();
        let chunk = read_new(&path, &c).unwrap().unwrap();
        assert!(!chunk.resync);
        assert_eq!(chunk.start, c.offset);
        assert_eq!(chunk.bytes, line(B, A).as_bytes());

        // Rewritten in place with different content at the cursor.
        std::fs::write(&path, format!("{}{}", line(B, A), line(A, B))).unwrap();
        let chunk = read_new(&path, &c).unwrap().unwrap();
        assert!(chunk.resync);
        assert_eq!(chunk.start, 0);

        std::fs::remove_file(&path).unwrap();
        assert_eq!(read_new(&path, &c).unwrap(), None);
    }
}
