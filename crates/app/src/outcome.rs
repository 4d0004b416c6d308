//! What a write of one record did: the answer of an idempotent use case (naming the same thing
//! again changes nothing) and of each row of an import.

/// What applying one record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Added,
    Changed,
    Unchanged,
}
