//! Chinese and English for the pages. The language comes from the `fupin_lang` cookie (set by
//! the switch in the header), else from `Accept-Language`, else Chinese.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::auth::{LANG_COOKIE, cookie};

/// A page language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// BCP 47 tag for `<html lang>`.
    pub fn html_code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The preferred of Chinese and English in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Lang::Zh
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            // Thousandths, so qualities compare as integers.
            let quality = (quality.clamp(0.0, 1.0) * 1000.0) as u32;
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The text of `key` in this language (the key itself when there is none, so a missing
    /// translation shows instead of vanishing).
    pub fn t(self, key: &'static str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Self::Rejection> {
        let from_cookie = cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse);
        let from_header = || {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        };
        Ok(from_cookie.or_else(from_header).unwrap_or(Lang::Zh))
    }
}

/// (key, Chinese, English)
const TEXTS: &[(&str, &str, &str)] = &[
    (
        "app.name",
        "金融扶贫信息平台",
        "Fupin financial poverty alleviation",
    ),
    (
        "app.footer",
        "上饶金融扶贫信息共享平台",
        "Shangrao financial poverty-alleviation platform",
    ),
    ("nav.label", "主导航", "Main navigation"),
    ("nav.home", "首页", "Home"),
    ("nav.regions", "行政区划", "Regions"),
    ("nav.coverage", "覆盖情况", "Coverage"),
    ("nav.institutions", "金融机构", "Institutions"),
    ("nav.audit", "审计校验", "Audit"),
    ("nav.sign_out", "退出", "Sign out"),
    (
        "hint.regions",
        "省、市、县、乡、村五级区划及贫困县、贫困村标识",
        "Provinces to villages, with poverty county and village flags",
    ),
    (
        "hint.coverage",
        "乡镇包干银行与行政村金融服务覆盖",
        "Responsible banks per township, banking service per village",
    ),
    (
        "hint.institutions",
        "银行业金融机构名录",
        "Directory of banks and other institutions",
    ),
    (
        "hint.audit",
        "审计记录哈希链完整性",
        "Integrity of the hash-chained audit trail",
    ),
    ("home.title", "首页", "Home"),
    (
        "home.lead",
        "请选择要查看的内容。您能看到的数据由您的角色和辖区决定。",
        "Choose what to look at. What you see depends on your role and region.",
    ),
    ("signin.title", "登录", "Sign in"),
    ("signin.name", "用户名", "User name"),
    ("signin.password", "密码", "Password"),
    ("signin.submit", "登录", "Sign in"),
    (
        "signin.refused",
        "用户名或密码错误",
        "Wrong user name or password",
    ),
    (
        "signin.throttled",
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; try again later",
    ),
    (
        "signin.expired",
        "表单已过期，请重试",
        "The form expired; please try again",
    ),
    ("role.regulator", "监管部门", "Regulator"),
    ("role.bank", "银行", "Bank"),
    ("role.poverty_office", "扶贫办", "Poverty office"),
    ("role.finance", "财政局", "Finance bureau"),
    ("role.admin", "管理员", "Administrator"),
    ("role.operator", "运维", "Operator"),
    ("filter.level", "层级", "Level"),
    ("filter.region", "区划代码", "Region code"),
    ("filter.as_of", "统计日期", "As of"),
    ("filter.all", "全部", "All"),
    ("filter.apply", "查询", "Apply"),
    ("level.province", "省", "Province"),
    ("level.city", "市", "City"),
    ("level.county", "县（区）", "County"),
    ("level.township", "乡（镇）", "Township"),
    ("level.village", "村", "Village"),
    ("list.shown", "显示", "Shown"),
    (
        "list.more",
        "还有更多，请缩小范围",
        "more exist: narrow the filter",
    ),
    ("flag.poverty_county", "国定贫困县", "state poverty county"),
    ("flag.poverty_village", "贫困村", "poverty village"),
    ("col.code", "代码", "Code"),
    ("col.name", "名称", "Name"),
    ("col.level", "层级", "Level"),
    ("col.population", "人口", "Population"),
    ("col.flags", "标识", "Flags"),
    ("col.type", "类型", "Type"),
    ("col.parent", "上级机构", "Parent"),
    ("col.region", "所在地区", "Region"),
    ("regions.title", "行政区划", "Regions"),
    ("institutions.title", "金融机构", "Institutions"),
    ("type.policy_bank", "政策性银行", "Policy bank"),
    (
        "type.large_commercial",
        "大型商业银行",
        "Large commercial bank",
    ),
    ("type.postal_savings", "邮储银行", "Postal savings bank"),
    (
        "type.rural_cooperative",
        "农村合作金融机构",
        "Rural cooperative institution",
    ),
    ("type.village_bank", "村镇银行", "Village bank"),
    ("type.other", "其他", "Other"),
    ("coverage.title", "金融服务覆盖", "Banking coverage"),
    (
        "coverage.townships",
        "乡镇包干责任银行",
        "Townships and their responsible banks",
    ),
    ("coverage.townships_total", "乡镇总数", "Townships"),
    (
        "coverage.assigned",
        "已落实包干银行",
        "With a responsible bank",
    ),
    ("coverage.unassigned", "未落实", "Without"),
    ("coverage.by_type", "按机构类型", "By institution type"),
    ("coverage.by_institution", "按机构", "By institution"),
    ("coverage.count", "乡镇数", "Townships"),
    (
        "coverage.unassigned_list",
        "未落实包干银行的乡镇",
        "Townships without a responsible bank",
    ),
    (
        "coverage.villages",
        "行政村金融服务",
        "Banking service in villages",
    ),
    ("coverage.villages_total", "行政村总数", "Villages"),
    ("coverage.rate", "覆盖率", "Covered"),
    ("coverage.outlet", "有营业网点", "With an outlet"),
    (
        "coverage.electronic",
        "仅有电子机具",
        "Electronic equipment only",
    ),
    ("coverage.mobile", "仅流动服务", "Mobile service only"),
    ("coverage.none", "无服务", "No service"),
    (
        "coverage.uncovered_list",
        "无金融服务的行政村",
        "Villages without banking service",
    ),
    ("audit.title", "审计记录校验", "Audit trail verification"),
    (
        "audit.intact",
        "审计记录完整，已校验条数",
        "The audit trail is intact; records verified",
    ),
    (
        "audit.broken",
        "审计记录被篡改，问题数",
        "The audit trail was tampered with; problems",
    ),
    ("audit.recent", "最近的审计记录", "Recent audit records"),
    ("audit.at", "时间", "At"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.action", "操作", "Action"),
    ("audit.entity", "对象", "Entity"),
    ("audit.request", "请求编号", "Request id"),
    ("error.title", "出错了", "Something went wrong"),
    ("error.home", "返回首页", "Back to the home page"),
    ("scope.all", "全部地区", "all regions"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_zh_and_en() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(Lang::from_accept_language("fr-FR,en;q=0.5"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr-FR"), None);
    }

    #[test]
    fn every_key_is_translated_once() {
        let mut keys: Vec<_> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let count = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), count, "a key appears twice");
        assert!(
            TEXTS
                .iter()
                .all(|(_, zh, en)| !zh.is_empty() && !en.is_empty())
        );
    }
}
