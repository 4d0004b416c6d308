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

/// Links to the pages before and after one page of a list on an HTML page: the current address
/// with `param` (the list's offset parameter) set to the other page's offset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageLinks {
    /// The first row shown, counting from 1 (0 when the page is empty).
    pub first: i64,
    /// The last row shown.
    pub last: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl PageLinks {
    /// Links for `paged` (its rows already cut) at the address `path` (with its query).
    pub fn of<T>(path: &str, param: &str, paged: &Paged<T>) -> PageLinks {
        let shown = paged.items.len() as i64;
        let previous = (paged.offset > 0).then(|| (paged.offset - paged.limit).max(0));
        PageLinks {
            first: if shown == 0 { 0 } else { paged.offset + 1 },
            last: paged.offset + shown,
            previous: previous.map(|offset| with_param(path, param, offset)),
            next: paged
                .next_offset
                .map(|offset| with_param(path, param, offset)),
        }
    }
}

/// `path` with `param=value` set (replacing any value it had), other parameters kept.
pub fn with_param(path: &str, param: &str, value: i64) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key != param)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    pairs.push((param.to_string(), value.to_string()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{base}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use fupin_app::paging::Page;

    fn check(path: &str, offset: i64, rows: usize, expect: (i64, i64, Option<&str>, Option<&str>)) {
        let page = Page::new(Some(2), Some(offset)).expect("a page");
        let paged = page.cut((0..rows).collect::<Vec<_>>(), false);
        let links = PageLinks::of(path, "offset", &paged);
        let found = (
            links.first,
            links.last,
            links.previous.as_deref(),
            links.next.as_deref(),
        );
        assert_eq!(found, expect, "{path} {offset} {rows}");
    }

    #[test]
    fn links_to_the_pages_around_one() {
        check(
            "/funds?as_of=2017-06-30",
            0,
            5,
            (1, 2, None, Some("/funds?as_of=2017-06-30&offset=2")),
        );
        check(
            "/funds?offset=2&q=%E4%B8%8A",
            2,
            5,
            (
                3,
                4,
                Some("/funds?q=%E4%B8%8A&offset=0"),
                Some("/funds?q=%E4%B8%8A&offset=4"),
            ),
        );
        check("/funds", 4, 5, (5, 5, Some("/funds?offset=2"), None));
        check("/funds", 0, 0, (0, 0, None, None));
    }
}
