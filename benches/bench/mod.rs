//! The benchmark's parts: measurement helpers kept pure where they can be
//! ([`stats`], [`report`], [`procfs`] parsing), and the I/O edges that drive
//! the real daemon ([`sandbox`], [`client`], [`repos`], [`floor`],
//! [`history`], [`standup`], [`measure`], [`burst`], [`notify`],
//! [`folder`]).

pub mod burst;
pub mod client;
pub mod floor;
pub mod folder;
pub mod history;
pub mod machine;
pub mod measure;
pub mod notify;
pub mod page;
pub mod procfs;
pub mod report;
pub mod repos;
pub mod sandbox;
pub mod standup;
pub mod stats;
pub mod web;
