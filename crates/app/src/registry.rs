//! Registry use cases: households, members, the change feed, enterprises.
