//! The registry of poor households and enterprises.
