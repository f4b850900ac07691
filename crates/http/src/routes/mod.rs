//! Route handlers, one module per surface.

pub mod ops;
pub mod session;
