//! Pieces the pages share.

pub mod create_forms;
#[cfg(feature = "hydrate")]
pub mod echarts;
pub mod history;
pub mod layout;
pub mod range;
pub mod scope_table;
pub mod widgets;
