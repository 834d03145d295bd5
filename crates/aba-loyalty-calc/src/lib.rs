//! Loyalty calculation core (SPEC.md).
