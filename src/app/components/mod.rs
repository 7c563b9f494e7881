//! Pieces the pages share.

#[cfg(feature = "hydrate")]
pub mod charts;
pub mod create_forms;
pub mod layout;
pub mod range;
pub mod scope_table;
pub mod widgets;
