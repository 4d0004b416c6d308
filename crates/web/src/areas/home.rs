//! The home page: the areas the signed-in user may open.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::layout::Layout;

pub fn pages() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

async fn home(user: CurrentUser, lang: Lang) -> HomePage {
    HomePage {
        layout: Layout::new(lang, Some(&user.principal), "/", "home.title"),
    }
}
