//! End-to-end tests of the idp workspace live in this crate's `tests/` folder; the library is
//! empty on purpose.
