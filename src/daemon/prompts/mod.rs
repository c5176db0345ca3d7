//! Prompts on their way to the person: the run loop decides (open, fold,
//! snooze, expire, answer; all in the store first), and each delivery
//! channel runs as its own task that only shows what it is told and reports
//! back what happened. A channel never touches the store and never blocks
//! the loop: a dead notification server or a hung hook costs the loop
//! nothing but a message it reads when one arrives.
//!
//! `channel.rs` is the whole contract between the two sides; the channels
//! (`desktop`, `osascript`, `hook`, started by `channels.rs`) and the loop's
//! side (`lifecycle.rs`, with the pure `text.rs`: what a prompt says, and
//! `health.rs`: which channel is in trouble) each know only it.

pub mod channel;
mod channels;
pub mod desktop;
pub mod health;
pub mod hook;
mod lifecycle;
pub mod osascript;
mod seen;
pub mod text;

pub use channel::{AnswerVia, ChannelHandle, FromChannel, PromptView, Report, ToChannel};
pub use channels::{notifications_changed, start_channels, start_hook};
