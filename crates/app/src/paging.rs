//! Pages of listings: every list answered over HTTP has a limit.

/// Rows in a page when the caller does not say.
pub const PAGE_LIMIT_DEFAULT: i64 = 100;
/// Most rows in one page.
pub const PAGE_LIMIT_MAX: i64 = 1_000;
/// Deepest offset a page may start at; past it, narrow the filter instead.
pub const PAGE_OFFSET_MAX: i64 = 1_000_000;

/// Which slice of a listing to return. Build with [`Page::new`], which checks the bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    limit: i64,
    offset: i64,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            limit: PAGE_LIMIT_DEFAULT,
            offset: 0,
        }
    }
}

impl Page {
    /// A page of `limit` rows (default 100, 1 to 1,000) from `offset` (default 0, at most
    /// 1,000,000); out-of-range values are errors naming the field.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> crate::Result<Page> {
        let limit = limit.unwrap_or(PAGE_LIMIT_DEFAULT);
        if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
            return Err(crate::AppError::field(
                "limit",
                format!("must be between 1 and {PAGE_LIMIT_MAX}, not {limit}"),
            ));
        }
        let offset = offset.unwrap_or(0);
        if !(0..=PAGE_OFFSET_MAX).contains(&offset) {
            return Err(crate::AppError::field(
                "offset",
                format!("must be between 0 and {PAGE_OFFSET_MAX}, not {offset}"),
            ));
        }
        Ok(Page { limit, offset })
    }

    pub fn limit(self) -> i64 {
        self.limit
    }

    pub fn offset(self) -> i64 {
        self.offset
    }

    /// Rows to fetch from a listing that has no offset of its own: up to the end of this page
    /// plus one, to know whether another page follows.
    pub fn fetch_through(self) -> i64 {
        self.offset + self.limit + 1
    }

    /// Cuts this page out of `rows` (which start at row 0, or at `self.offset` when
    /// `already_offset`), fetched with one row to spare.
    pub fn cut<T>(self, rows: Vec<T>, already_offset: bool) -> Paged<T> {
        let skip = if already_offset { 0 } else { self.offset };
        let mut items: Vec<T> = rows.into_iter().skip(skip as usize).collect();
        let more = items.len() as i64 > self.limit;
        items.truncate(self.limit as usize);
        Paged {
            items,
            limit: self.limit,
            offset: self.offset,
            next_offset: more.then_some(self.offset + self.limit),
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub limit: i64,
    pub offset: i64,
    /// Where the next page starts, when there is one.
    pub next_offset: Option<i64>,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            limit: self.limit,
            offset: self.offset,
            next_offset: self.next_offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_cutting() {
        assert!(Page::new(Some(0), None).is_err());
        assert!(Page::new(Some(1001), None).is_err());
        assert!(Page::new(None, Some(-1)).is_err());
        let page = Page::new(Some(2), Some(1)).unwrap();
        let paged = page.cut(vec![0, 1, 2, 3], false);
        assert_eq!(paged.items, vec![1, 2]);
        assert_eq!(paged.next_offset, Some(3));
        let last = Page::new(Some(2), Some(2))
            .unwrap()
            .cut(vec![0, 1, 2, 3], false);
        assert_eq!(last.items, vec![2, 3]);
        assert_eq!(last.next_offset, None);
    }
}
