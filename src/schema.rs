//! The version of every JSON document's layout, shared by the reports and the sweep lines
//! that scripts and `merge` read back.

/// Raised when a field is renamed or removed; a new field keeps it.
pub const SCHEMA_VERSION: u32 = 2;

/// The version of jaegis that wrote a document.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
