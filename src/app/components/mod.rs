//! Pieces the pages share.

#[cfg(feature = "hydrate")]
pub mod charts;
pub mod layout;
pub mod widgets;
