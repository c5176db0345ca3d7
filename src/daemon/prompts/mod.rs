//! Prompts on their way to the person: the run loop decides (open, fold,
//! snooze, expire, answer; all in the store first), and each delivery
//! channel runs as its own task that only shows what it is told and reports
//! back what happened. A channel never touches the store and never blocks
//! the loop: a dead notification server or a hung hook costs the loop
//! nothing but a message it reads when one arrives.
//!
//! `channel.rs` is the whole contract between the two sides; the channels
//! (`desktop`, `osascript`, `hook`) and the loop's side (`lifecycle`) each
//! know only it.

pub mod channel;
pub mod desktop;
pub mod hook;
pub mod osascript;
mod seen;

pub use channel::{ChannelHandle, FromChannel, PromptView, Report, ToChannel};
