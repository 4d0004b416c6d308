//! Pagination on the wire: `?limit=&offset=` in, `{items, limit, offset, next_offset}` out.

use fupin_app::paging::{Page, Paged};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Error;

/// `limit` (default 100, 1 to 1,000) and `offset` (default 0).
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

impl PageQuery {
    pub fn page(self) -> Result<Page, Error> {
        Ok(Page::new(self.limit, self.offset)?)
    }
}

/// One page of a listing; `next_offset` is absent on the last page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub items: Vec<T>,
    pub limit: i64,
    pub offset: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<i64>,
}

impl<T: ToSchema> PageOf<T> {
    pub fn from_paged<U>(paged: Paged<U>, convert: impl FnMut(U) -> T) -> PageOf<T> {
        let paged = paged.map(convert);
        PageOf {
            items: paged.items,
            limit: paged.limit,
            offset: paged.offset,
            next_offset: paged.next_offset,
        }
    }
}
