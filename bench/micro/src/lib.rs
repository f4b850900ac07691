//! Only the benches of `benches/` live here.
