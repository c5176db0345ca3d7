//! Prompts on their way to the person: the run loop decides (open, fold,
//! snooze, expire, answer; all in the store first), and each delivery
//! channel runs as its own task that only shows what it is told and reports
//! back what happened. A channel never touches the store and never blocks
//! the loop: a dead notification server or a hung hook costs the loop
//! nothing but a message it reads when one arrives.
//!
//! `messages.rs` is the whole contract between the two sides; the channels
//! (`desktop`, `osascript`, `hook`, started by `start.rs`) and the loop's
//! side (`daemon/prompt_triggers.rs`, with the pure `text.rs`: what a
//! prompt says, and `health.rs`: which channel is in trouble) each know
//! only it. This folder holds only the channels and what they share; the
//! loop's side sits beside the loop's other sides.

pub mod desktop;
pub mod health;
pub mod hook;
pub mod messages;
pub mod osascript;
mod seen;
mod start;
pub mod text;

pub use messages::{AnswerVia, ChannelHandle, FromChannel, PromptView, Report, Shown, ToChannel};
pub(crate) use start::{notifications_changed, start_channels, start_hook};
