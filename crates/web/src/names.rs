//! Names where people expect them: the pages show a region's or an institution's name, with
//! its code beside it on a hover, rather than `361128000000` or `PYRCB`. A page gathers the
//! codes it will show, [`Names::load`]s them once, and its template asks for each by code.

use std::collections::HashMap;

use fupin_app::Db;
use fupin_app::fupin_core::RegionCode;

use crate::error::Result;
use crate::i18n::Lang;

/// The names of the regions and institutions of one page.
#[derive(Clone, Debug, Default)]
pub struct Names {
    regions: HashMap<String, String>,
    institutions: HashMap<String, String>,
    products: HashMap<String, String>,
}

impl Names {
    /// Looks up each distinct code once (names in `lang` where the data has them).
    pub async fn load<R, I>(db: &Db, lang: Lang, regions: R, institutions: I) -> Result<Names>
    where
        R: IntoIterator<Item = String>,
        I: IntoIterator<Item = String>,
    {
        let mut names = Names::default();
        for code in regions {
            if names.regions.contains_key(&code) {
                continue;
            }
            if let Some(name) = region_name(db, lang, &code).await? {
                names.regions.insert(code, name);
            }
        }
        for code in institutions {
            if names.institutions.contains_key(&code) {
                continue;
            }
            if let Some(name) = fupin_app::territory::institution_name(db, &code).await? {
                names.institutions.insert(code, name);
            }
        }
        Ok(names)
    }

    /// These names and those of every loan product (a few dozen at most).
    pub async fn with_products(mut self, db: &Db) -> Result<Names> {
        for product in fupin_app::loans::products(db, None).await? {
            self.products.insert(product.code, product.name);
        }
        Ok(self)
    }

    /// A loan product's name, or its code when it has none.
    pub fn product(&self, code: &str) -> String {
        self.products
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// A region's name, or its code when it has none.
    pub fn region(&self, code: &str) -> String {
        self.regions
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// An institution's name, or its code when it has none.
    pub fn institution(&self, code: &str) -> String {
        self.institutions
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }
}

async fn region_name(db: &Db, lang: Lang, code: &str) -> Result<Option<String>> {
    let Ok(code) = RegionCode::parse(code) else {
        return Ok(None);
    };
    let region = fupin_app::regions::get(db, code).await?;
    Ok(region.map(|region| match (lang, region.name_en) {
        (Lang::En, Some(english)) => english,
        _ => region.name,
    }))
}
