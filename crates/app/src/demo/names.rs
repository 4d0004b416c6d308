//! Generated Chinese names: people, townships, villages, enterprises. Plausible, not real.

use super::rng::Rng;

/// Common surnames, the most frequent first (weighted by position).
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "吴", "徐", "胡", "周", "汪", "程", "余", "叶", "朱",
    "方", "江", "吕", "郑", "詹", "俞", "洪", "祝", "姜", "毛", "邓", "彭", "罗", "林", "何", "许",
    "曾", "钟", "郭", "谢", "汤", "夏", "熊", "孙", "高", "赵", "廖", "付", "邹", "杜", "童", "饶",
    "卢", "蔡", "潘", "戴", "严", "占", "姚", "舒", "万", "石", "柴", "兰",
];

const MALE_GIVEN: &[&str] = &[
    "伟", "强", "军", "勇", "明", "平", "华", "建", "国", "文", "斌", "辉", "林", "波", "金", "荣",
    "福", "根", "水", "贵", "生", "发", "财", "春", "海", "龙", "志", "德", "祥", "忠", "有", "民",
    "立", "成", "宏", "正", "新", "永", "长", "茂", "树", "松", "清", "云", "东", "宇", "浩", "杰",
    "涛", "鹏", "俊", "豪", "晨", "睿", "博", "子", "轩", "航", "泽", "磊",
];

const FEMALE_GIVEN: &[&str] = &[
    "英", "兰", "秀", "芳", "华", "玉", "珍", "凤", "梅", "琴", "霞", "红", "萍", "丽", "娟", "敏",
    "静", "燕", "艳", "莲", "花", "菊", "桂", "香", "金", "彩", "翠", "月", "春", "冬", "婷", "雪",
    "琳", "欣", "怡", "悦", "涵", "璐", "佳", "雨", "思", "梦", "诗", "瑶", "妍",
];

/// Syllables for place names.
const PLACE_FIRST: &[&str] = &[
    "石", "青", "白", "黄", "东", "西", "南", "北", "上", "下", "大", "小", "新", "高", "龙", "凤",
    "金", "银", "桃", "李", "杨", "柳", "松", "竹", "梅", "荷", "花", "枫", "樟", "茶", "清", "双",
    "三", "五", "太", "长", "古", "官", "田", "湖", "河", "溪", "港", "岭", "坞", "塘", "桥", "源",
    "坑", "洲", "坪", "山", "峰", "岗", "畈", "汪", "程", "詹", "俞", "洪",
];

const PLACE_SECOND: &[&str] = &[
    "田", "塘", "桥", "源", "坑", "村", "家", "口", "湾", "岭", "坞", "溪", "港", "畈", "坪", "山",
    "阳", "冲", "头", "里", "洲", "埠", "店", "铺", "林", "岗", "墩", "圩", "湖", "泉", "峰", "川",
    "垄", "坂", "庄", "园", "亭", "堂", "门", "丰", "安", "宁", "和", "兴", "富",
];

fn weighted_surname(rng: &mut Rng) -> &'static str {
    // The first names of the list are much more common: square a uniform draw.
    let n = SURNAMES.len() as u64;
    let draw = rng.below(n * n);
    let index = (draw as f64).sqrt() as usize;
    SURNAMES[SURNAMES.len() - 1 - index.min(SURNAMES.len() - 1)]
}

/// A surname for a new household.
pub fn surname(rng: &mut Rng) -> &'static str {
    weighted_surname(rng)
}

/// A given name of one or two characters.
pub fn given_name(rng: &mut Rng, male: bool) -> String {
    let pool = if male { MALE_GIVEN } else { FEMALE_GIVEN };
    let mut name = rng.pick(pool).to_string();
    if rng.per_mille(700) {
        let next: &&str = rng.pick(pool);
        name.push_str(next);
    }
    name
}

/// A full name: the household's surname for its men and children, another for wives and
/// mothers.
pub fn person_name(rng: &mut Rng, family: &str, male: bool, own_surname: bool) -> String {
    let surname = if own_surname {
        family.to_string()
    } else {
        weighted_surname(rng).to_string()
    };
    format!("{surname}{}", given_name(rng, male))
}

/// A two-character place stem, e.g. 石塘.
pub fn place_stem(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(PLACE_FIRST), rng.pick(PLACE_SECOND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic() {
        let a = person_name(&mut Rng::new(1), "王", true, true);
        let b = person_name(&mut Rng::new(1), "王", true, true);
        assert_eq!(a, b);
        assert!(a.starts_with('王'));
        assert_eq!(place_stem(&mut Rng::new(5)).chars().count(), 2);
    }
}
