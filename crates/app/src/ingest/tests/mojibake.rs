//! The mojibake detector flags damaged text and nothing else.

use crate::ingest::mojibake;

/// Real names, places and phrases, including rare characters, minority names with `·`,
/// full-width punctuation and accented Latin letters.
const CLEAN: &[&str] = &[
    "张三",
    "李四",
    "欧阳娜娜",
    "司马相如",
    "上官婉儿",
    "阿卜杜·热合曼",
    "买买提·艾力",
    "古丽娜尔·吐尔逊",
    "扎西·多吉",
    "阿卜杜•热合曼",
    "王䶮",
    "刘𠈌",
    "张堃",
    "陈喆",
    "李赟",
    "赵龑",
    "吴淼",
    "郑犇",
    "孙玥",
    "周珺",
    "钱婞",
    "冯汭",
    "邬昇",
    "鄱阳县",
    "上饶县",
    "广信区",
    "横峰县",
    "余干县",
    "铅山县",
    "弋阳县",
    "婺源县",
    "饶丰镇",
    "黄金埠镇",
    "石门街镇",
    "莲花山乡",
    "枫港乡",
    "瑞洪镇",
    "葛源镇",
    "鄱阳县饶丰镇东湖村委会",
    "江西省上饶市（地级市）",
    "“扶贫”小额信贷",
    "【通知】关于开展金融精准扶贫工作的意见",
    "《上饶市金融扶贫报告》——2017年上半年",
    "户主：张三；配偶：李四、子女：王五……",
    "年利率４.３５％",
    "１２３４５６",
    "¥50,000.00",
    "100%",
    "2017年6月30日",
    "361128199001011234",
    "Shangrao County",
    "Poyang County",
    "Financial poverty alleviation: \"credit files\" for every household.",
    "Agricultural Bank of China — Shangrao Branch",
    "It’s the area-responsibility system (片区包干).",
    "“Quoted” text…",
    "café",
    "naïve",
    "São Paulo",
    "Müller-Lüdenscheidt",
    "Zürich · Genève",
    "résumé",
    "El Niño",
    "30°C ± 2°",
    "multi-line\naddress\r\nwith\ttabs",
    "",
    "   ",
    "\u{E000}",
];

/// Damaged text as it arrives, including the seed article's broken quotes.
const DAMAGED: &[&str] = &[
    "â€œfinancial poverty alleviationâ€",
    "the â€œtwo noâ€ households",
    "Ã©",
    "cafÃ©",
    "Â\u{A0}50",
    "Ã¤",
    "ä¸\u{AD}æ–‡",
    "æµ‹è¯•",
    "é„±é˜³åŽ¿",
    "锟斤拷",
    "张锟斤拷",
    "鈥渇upin鈥?",
    "鈥�",
    "娴嬭瘯锛屽ソ",
    "涓婇ザ銆佸勾",
    "烫烫烫烫",
    "屯屯屯屯",
    "张�三",
    "�",
    "bell\u{0007}",
    "null\u{0000}byte",
    "c1\u{0085}control",
    "delete\u{007F}",
    "mid\u{FEFF}bom",
];

#[test]
fn clean_text_is_not_flagged() {
    for text in CLEAN {
        assert_eq!(mojibake(text), None, "{text:?} was flagged");
    }
}

#[test]
fn damaged_text_is_flagged() {
    for text in DAMAGED {
        assert!(mojibake(text).is_some(), "{text:?} was not flagged");
    }
}

#[test]
fn reasons_name_the_kind_of_damage() {
    let cases = [
        ("â€œ", "Latin-1"),
        ("Ã©", "Latin-1"),
        ("锟斤拷", "read as GBK"),
        ("鈥?", "read as GBK"),
        ("张�三", "replacement character"),
        ("a\u{0001}", "control"),
        ("a\u{FEFF}b", "byte-order mark"),
    ];
    for (text, fragment) in cases {
        let reason = mojibake(text).unwrap_or_default();
        assert!(
            reason.contains(fragment),
            "{text:?}: {reason:?} lacks {fragment:?}"
        );
    }
}
