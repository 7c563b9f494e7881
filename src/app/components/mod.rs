//! Pieces the pages share.

#[cfg(feature = "hydrate")]
pub mod charts;
pub mod create_forms;
#[cfg(feature = "hydrate")]
pub mod echarts;
pub mod history;
#[cfg(feature = "hydrate")]
mod history_chart;
pub mod layout;
pub mod palette;
pub mod range;
pub mod scope_table;
pub mod widgets;
