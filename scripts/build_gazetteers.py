"""Build the project's REGION and ORG pattern files from the gazetteer mirror.

Reads, from the shared mirror (names only; no sentence is copied):

- ``gazetteers/jionlp/china_location.zip``: provinces, cities, counties and
  districts with their short aliases, and townships (JioNLP, Apache-2.0);
- ``gazetteers/company-names/suffix.txt``: company-name suffixes
  (companynameparser, Apache-2.0);
- ``corpus/xwlb/stories.jsonl``: only to count how often a county alias
  occurs, which tells a place alias from a common word (合作市 → 合作 is dropped).

and the project's own name lists (one name per line, ``#`` comments):
``patterns/places/*.txt`` (Taiwan, Hong Kong and Macau divisions, world cities,
border ports, zones that news names without a suffix) and
``patterns/organisations/*.txt`` (companies, bodies and media named without a
suffix).

Writes ``regions.jsonl`` and ``orgs.jsonl`` (entity-ruler patterns, each name
also in traditional script) and ``org_suffixes.txt`` into the output folder.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import opencc
import srsly
import typer

# Named areas that are no administrative division (guidelines: REGION).
NAMED_AREAS = (
    "京津冀", "长三角", "长江三角洲", "珠三角", "珠江三角洲", "粤港澳大湾区", "成渝地区",
    "成渝地区双城经济圈", "长株潭", "长江经济带", "黄河流域", "长江流域", "青藏高原",
    "东北亚", "东南亚", "中亚", "北部湾", "海峡西岸", "关中平原", "中原城市群",
    "海南自由贸易港", "雄安新区", "两江新区", "舟山群岛新区", "兰州新区", "南沙新区",
    "西咸新区", "贵安新区", "西海岸新区", "金普新区", "天府新区", "湘江新区", "江北新区",
    "福州新区", "滇中新区", "哈尔滨新区", "长春新区", "赣江新区",
)
# The world's countries by their usual Chinese names (and the short forms news
# writes), and the continents and world regions named as markets. Left out:
# names that are also common words or compass areas (海地 in 沿海地区, 加纳 in
# 增加纳税, 中非合作, 中东部地区, 蒙古族).
COUNTRIES = (
    "中国", "美国", "日本", "韩国", "朝鲜", "蒙古国", "俄罗斯", "印度", "巴基斯坦", "孟加拉国",
    "斯里兰卡", "尼泊尔", "不丹", "马尔代夫", "阿富汗", "伊朗", "伊拉克", "叙利亚", "约旦", "黎巴嫩",
    "以色列", "巴勒斯坦", "沙特阿拉伯", "沙特", "阿联酋", "阿拉伯联合酋长国", "卡塔尔", "科威特",
    "巴林", "阿曼", "也门", "土耳其", "塞浦路斯", "格鲁吉亚", "亚美尼亚", "阿塞拜疆",
    "哈萨克斯坦", "乌兹别克斯坦", "吉尔吉斯斯坦", "塔吉克斯坦", "土库曼斯坦", "新加坡",
    "马来西亚", "泰国", "越南", "老挝", "柬埔寨", "缅甸", "印度尼西亚", "印尼", "菲律宾", "文莱",
    "东帝汶", "英国", "法国", "德国", "意大利", "西班牙", "葡萄牙", "荷兰", "比利时", "卢森堡",
    "瑞士", "奥地利", "爱尔兰", "冰岛", "挪威", "瑞典", "芬兰", "丹麦", "波兰", "捷克",
    "斯洛伐克", "匈牙利", "罗马尼亚", "保加利亚", "希腊", "塞尔维亚", "克罗地亚", "斯洛文尼亚",
    "波黑", "黑山", "北马其顿", "阿尔巴尼亚", "白俄罗斯", "乌克兰", "摩尔多瓦", "立陶宛",
    "拉脱维亚", "爱沙尼亚", "马耳他", "摩纳哥", "埃及", "利比亚", "突尼斯", "阿尔及利亚",
    "摩洛哥", "苏丹", "南苏丹", "埃塞俄比亚", "厄立特里亚", "吉布提", "索马里", "肯尼亚",
    "坦桑尼亚", "乌干达", "卢旺达", "布隆迪", "刚果（金）", "刚果（布）", "刚果", "加蓬",
    "喀麦隆", "尼日利亚", "尼日尔", "乍得", "马里", "塞内加尔", "几内亚", "科特迪瓦",
    "多哥", "贝宁", "布基纳法索", "毛里塔尼亚", "塞拉利昂", "利比里亚", "冈比亚", "佛得角",
    "安哥拉", "赞比亚", "津巴布韦", "马拉维", "莫桑比克", "马达加斯加", "毛里求斯", "塞舌尔",
    "科摩罗", "纳米比亚", "博茨瓦纳", "南非", "莱索托", "斯威士兰", "赤道几内亚",
    "加拿大", "墨西哥", "古巴", "牙买加", "多米尼加", "巴拿马", "哥斯达黎加",
    "尼加拉瓜", "洪都拉斯", "萨尔瓦多", "危地马拉", "哥伦比亚", "委内瑞拉", "厄瓜多尔", "秘鲁",
    "玻利维亚", "巴西", "巴拉圭", "乌拉圭", "阿根廷", "智利", "圭亚那", "苏里南",
    "特立尼达和多巴哥", "澳大利亚", "新西兰", "巴布亚新几内亚", "斐济", "萨摩亚", "汤加",
    "所罗门群岛", "瓦努阿图",
    "亚洲", "欧洲", "非洲", "北美", "北美洲", "南美", "南美洲", "拉美", "拉丁美洲", "大洋洲",
    "南亚", "西亚", "中东欧",
)
# National bodies, banks, universities and media that news names without a
# region or suffix the rules could recognise.
NAMED_ORGANISATIONS = (
    "国务院", "全国人大", "全国人大常委会", "全国政协", "中共中央", "党中央", "国家发展改革委",
    "国家发改委", "国家发展和改革委员会", "财政部", "商务部", "工业和信息化部", "工信部",
    "科技部", "教育部", "自然资源部", "生态环境部", "住房和城乡建设部", "住建部", "交通运输部",
    "水利部", "农业农村部", "文化和旅游部", "国家卫生健康委", "人力资源和社会保障部",
    "应急管理部", "审计署", "国务院国资委", "国家统计局", "国家能源局", "国家税务总局",
    "海关总署", "市场监管总局", "中国人民银行", "人民银行", "国家开发银行", "国开行",
    "中国进出口银行", "中国农业发展银行", "农发行", "中国工商银行", "工商银行",
    "中国农业银行", "农业银行", "中国银行", "中国建设银行", "建设银行", "交通银行",
    "中国邮政储蓄银行", "邮储银行", "招商银行", "兴业银行", "中信银行", "浦发银行", "民生银行",
    "光大银行", "华夏银行", "平安银行", "新华社", "人民日报", "光明日报", "经济日报",
    "中央广播电视总台", "总台", "央视", "央视网", "人民网", "新华网", "红网", "中国科学院",
    "中科院", "中国工程院", "中国社会科学院", "清华大学", "北京大学",
)
# Suffixes of institutions, added to the company suffixes of the mirror.
INSTITUTION_SUFFIXES = (
    "银行", "大学", "学院", "研究院", "研究所", "协会", "商会", "联合会", "日报", "晚报", "报社",
    "电视台", "融媒体中心", "医院",
)
# Of the mirror's company suffixes only these endings are safe to match on
# characters; shop words (店, 部, 馆, 中心) and 分行 (部分行业) end too many
# ordinary words.
COMPANY_SUFFIX_ENDINGS = ("公司", "集团", "银行", "合作社", "有限合伙")

# What follows a division's short alias in its full name (邯郸市, 大理白族自治州).
ADMIN_SUFFIX = re.compile(
    "^(?:省|市|县|区|盟|旗|地区|林区|特区|新区|矿区|自治区|特别行政区|"
    "(?:[\u4e00-\u9fff]{1,5}族)*自治(?:区|州|县|旗))$"
)
# Names that are generic words, not one place.
GENERIC_DIVISION_NAMES = {"市辖区", "城区", "郊区", "矿区", "新区", "东区", "南区", "西区", "北区", "中区", "产业园"}
# Towns, townships and urban subdistricts (街道), which county news names as
# places as often as towns.
TOWNSHIP_SUFFIXES = ("镇", "乡", "街道")
# Township names that are also words for a kind of town (历史古城镇, 新市镇 of Hong Kong).
GENERIC_TOWNSHIP_NAMES = {"新城镇", "古城镇", "老城镇", "旧城镇", "新市镇", "城郊乡", "中心镇", "小城镇"}
# A county alias that national news uses this many times more often (and at
# least MIN_COMMON_USES times) outside place contexts than in them is read as a
# common word: 合作, 和平, 友好. Province and city aliases are all kept: news
# writes 郑州 and 青岛 without context far more often than 郑州市 and 青岛市.
COMMON_WORD_RATIO = 5
MIN_COMMON_USES = 10

PROVINCE, CITY, COUNTY, TOWNSHIP = range(4)
TRADITIONAL = [opencc.OpenCC(config) for config in ("s2t", "s2tw", "s2hk")]
SIMPLIFIED = opencc.OpenCC("t2s")


@dataclass(frozen=True)
class Division:
    name: str
    level: int
    aliases: tuple[str, ...] = ()
    parent: Division | None = None


def read_divisions(hierarchy: Iterable[str]) -> Iterator[Division]:
    """Divisions down to townships from JioNLP's tab-indented hierarchy
    (``name<TAB>code<TAB>alias[/alias]``, one tab more for each level)."""
    ancestors: list[Division] = []
    for line in hierarchy:
        level = len(line) - len(line.lstrip("\t"))
        fields = line.strip().split("\t")
        if level > TOWNSHIP or not fields[0]:
            continue
        aliases = tuple(fields[2].split("/")) if len(fields) > 2 else ()
        division = Division(fields[0], level, aliases, ancestors[level - 1] if level else None)
        ancestors[level:] = [division]
        yield division


def short_aliases(division: Division) -> list[str]:
    """The aliases that are the name less its administrative suffix."""
    return [
        alias
        for alias in division.aliases
        if len(alias) >= 2 and division.name.startswith(alias) and ADMIN_SUFFIX.match(division.name[len(alias) :])
    ]


def is_named_division(division: Division) -> bool:
    return division.name not in GENERIC_DIVISION_NAMES and "直辖" not in division.name


def township_names(divisions: list[Division]) -> set[str]:
    """Town, township and subdistrict names with two characters or more before 镇/乡/街道 that
    name no county. A name that many counties share (太平镇, 城关镇) is still a
    place wherever it is written; only words for a kind of town are left out."""
    higher = {d.name for d in divisions if d.level < TOWNSHIP}
    return {
        d.name
        for d in divisions
        if d.level == TOWNSHIP
        and d.name not in higher
        and d.name not in GENERIC_TOWNSHIP_NAMES
        and any(d.name.endswith(s) and len(d.name) - len(s) >= 2 for s in TOWNSHIP_SUFFIXES)
    }


def autonomous_short_names(divisions: list[Division]) -> set[str]:
    """News writes an autonomous prefecture, county or banner as its alias and
    the level character: 大理白族自治州 → 大理州, 孟村回族自治县 → 孟村县."""
    return {
        alias + division.name[-1]
        for division in divisions
        if re.search("自治[州县旗]$", division.name)
        for alias in short_aliases(division)
    }


def safe_aliases(divisions: list[Division], reference_text: str) -> set[str]:
    """Short aliases: all of provinces; of cities and counties those that no
    other division of the same level has; of counties only those that are not
    a common word."""
    per_level = Counter((d.level, alias) for d in divisions for alias in set(short_aliases(d)))
    aliases = set()
    for division in divisions:
        if division.level > COUNTY:
            continue
        for alias in short_aliases(division):
            if division.level > PROVINCE and per_level[division.level, alias] > 1:
                continue
            if division.level == COUNTY and is_common_word(alias, division, reference_text):
                continue
            aliases.add(alias)
    return aliases


def is_common_word(alias: str, division: Division, reference_text: str) -> bool:
    """Whether the reference corpus mostly uses ``alias`` outside the contexts
    that show it is the place: its full name, or its parents' names before it
    (河北邯郸, 金华义乌). 合作, 中方 and 南部 are dropped; a word that national
    news seldom uses (威信 of 权威信息) is not caught."""
    uses = reference_text.count(alias)
    if uses < MIN_COMMON_USES:
        return False
    prefixes = {name for parent in _ancestors(division) for name in (parent.name, *short_aliases(parent))}
    place_uses = reference_text.count(division.name) + sum(reference_text.count(p + alias) for p in prefixes)
    other_uses = uses - place_uses
    return other_uses >= MIN_COMMON_USES and other_uses > COMMON_WORD_RATIO * (place_uses + 1)


def _ancestors(division: Division) -> Iterator[Division]:
    while division.parent is not None:
        division = division.parent
        yield division


def script_forms(name: str) -> set[str]:
    """The name as written in simplified and in traditional script
    (Taiwan and Hong Kong standards differ: 税/稅)."""
    simplified = SIMPLIFIED.convert(name)
    return {name, simplified} | {converter.convert(simplified) for converter in TRADITIONAL}


def read_name_lists(folder: Path) -> set[str]:
    """The names in the project's own lists, less the generic place names
    (東區 is a district of several cities and a common word)."""
    names = set()
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            name = line.strip()
            if name and not name.startswith("#") and SIMPLIFIED.convert(name) not in GENERIC_DIVISION_NAMES:
                names.add(name)
    return names


def ruler_patterns(label: str, names: Iterable[str]) -> list[dict[str, str]]:
    forms = {form for name in names for form in script_forms(name)}
    return [{"label": label, "pattern": form} for form in sorted(forms)]


def org_suffixes(mirror_suffixes: Iterable[str]) -> list[str]:
    """The shortest suffixes only: 跨国公司 adds nothing to 公司 but would let
    the class word 跨国 pass as a name (支持跨国公司)."""
    suffixes = {s.strip() for s in mirror_suffixes if s.strip().endswith(COMPANY_SUFFIX_ENDINGS)}
    suffixes |= set(INSTITUTION_SUFFIXES)
    return sorted(s for s in suffixes if not any(s != shorter and s.endswith(shorter) for shorter in suffixes))


def write_jsonl(path: Path, records: list[dict[str, str]]) -> None:
    # Characters as they are, so the pattern files can be read and grepped.
    lines = (json.dumps(record, ensure_ascii=False) for record in records)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_reference_text(path: Path) -> str:
    return "\n".join(record["text"] for record in srsly.read_jsonl(path))


def main(
    shared: Path = typer.Argument(Path("../shared"), help="The shared mirror (gazetteers/, corpus/)."),
    output_dir: Path = typer.Argument(Path("patterns"), help="Where the pattern files go."),
    places: Path = typer.Option(Path("patterns/places"), help="The project's own place lists (*.txt, one name per line)."),
    organisations: Path = typer.Option(Path("patterns/organisations"), help="The project's own organisation lists (*.txt)."),
) -> None:
    gazetteers = shared / "gazetteers"
    with zipfile.ZipFile(gazetteers / "jionlp" / "china_location.zip") as archive:
        with archive.open("china_location.txt") as file:
            divisions = [d for d in read_divisions(io.TextIOWrapper(file, encoding="utf-8")) if is_named_division(d)]
    reference_text = read_reference_text(shared / "corpus" / "xwlb" / "stories.jsonl")
    region_names = (
        {d.name for d in divisions if d.level <= COUNTY}
        | safe_aliases(divisions, reference_text)
        | township_names(divisions)
        | autonomous_short_names(divisions)
        | set(NAMED_AREAS)
        | set(COUNTRIES)
        | read_name_lists(places)
    )
    suffix_lines = (gazetteers / "company-names" / "suffix.txt").read_text(encoding="utf-8").splitlines()

    output_dir.mkdir(parents=True, exist_ok=True)
    regions = ruler_patterns("REGION", region_names)
    organisation_patterns = ruler_patterns("ORG", set(NAMED_ORGANISATIONS) | read_name_lists(organisations))
    write_jsonl(output_dir / "regions.jsonl", regions)
    write_jsonl(output_dir / "orgs.jsonl", organisation_patterns)
    (output_dir / "org_suffixes.txt").write_text("\n".join(org_suffixes(suffix_lines)) + "\n", encoding="utf-8")
    typer.echo(f"{len(regions)} REGION and {len(organisation_patterns)} ORG patterns written to {output_dir}")


if __name__ == "__main__":
    typer.run(main)
