//! Witness server and client (being written).
