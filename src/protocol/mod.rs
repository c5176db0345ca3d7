//! The control-socket wire format.
