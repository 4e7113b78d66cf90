"""Rule-based pre-annotator: the components behind ``training/rules``.

The rules follow the annotation guidelines (shared/annotation-guidelines.md).
A gazetteer ``entity_ruler`` runs first and marks REGION and well-known ORG
names; :class:`RegexEntities` adds MONEY, PERCENT, POLICY, PROJECT, ORG by
name grammar and development zones; :class:`RelationLinker` links each MONEY
to the PROJECT it belongs to.

All rules read the text converted to simplified script character by
character (``zh_invest.chinese.to_simplified``), so one set of rules, with the
same offsets, serves traditional and simplified news. Rules find character
offsets; they become token spans with ``alignment_mode="expand"``, so the
components work on one-character tokens (the default ``zh`` segmenter) and on
pkuseg words alike.
"""

import bisect
import re
from pathlib import Path
from typing import Callable, Iterable, NamedTuple, Sequence

import srsly
from spacy import util
from spacy.language import Language
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans

try:
    from .chinese import to_simplified
    from .pipeline import TRIGGER_WORDS, Relation, score_relations
except ImportError:  # `spacy package --code` imports each shipped file on its own, outside any package
    from zh_invest.chinese import to_simplified
    from zh_invest.pipeline import TRIGGER_WORDS, Relation, score_relations


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation that prefers the longest word at a position."""
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


# --- Numbers: MONEY and PERCENT -------------------------------------------

_DIGITS = "0-9０-９"
_DIGIT = f"[{_DIGITS}]"
_ARABIC = rf"{_DIGIT}+(?:,{_DIGIT}{{3}})*(?:[.．]{_DIGIT}+)?"
_CHINESE_DIGITS = "零〇一二两三四五六七八九十百千"
_CHINESE = f"[{_CHINESE_DIGITS}]+"
# 多/余 between number and unit ("60多亿元") cannot be left outside the span.
_AMOUNT = rf"(?:{_ARABIC}|{_CHINESE})[多余]?(?:万亿|千亿|百亿|亿|千万|百万|十万|万|千)?"
_CURRENCY = "美元|欧元|港元|港币|日元|英镑|韩元|元|人民币"
# Modifiers (近, 超, 约, 以上, 左右, …) are outside by construction: the pattern
# starts at the first numeral and ends at the currency unit.
_MONEY = re.compile(
    rf"(?<![{_DIGITS}.．]){_AMOUNT}(?:[-－~～—–至到]{_AMOUNT})?(?:{_CURRENCY})"
)
_PERCENT = re.compile(
    "|".join(
        (
            rf"(?<![{_DIGITS}.．]){_ARABIC}[%％]",
            rf"百分之(?:{_ARABIC}|{_CHINESE}(?:点[零〇一二三四五六七八九]+)?)",
            rf"(?<![{_DIGITS}.．])(?:{_ARABIC}|{_CHINESE})个百分点",
            f"(?<![{_CHINESE_DIGITS}万亿])[二两三四五六七八九]成(?![为功本果立交就型品熟长效绩员都])",
            f"(?<![{_CHINESE_DIGITS}万亿]){_CHINESE}分之{_CHINESE}",
        )
    )
)

# --- Where a name begins ---------------------------------------------------

_NAME_CHAR = re.compile(rf"[\u3400-\u9fff{_DIGITS}A-Za-zＡ-Ｚａ-ｚ·.．]")
# A name (project, company, system) runs back from its head noun to the nearest
# boundary: punctuation, a date, a number entity, or one of the words below.
# Without them it would run back to the last punctuation.
#
# Function words are hard boundaries: no name contains or begins with one.
# Single characters that also occur inside names (有 of 有色, 都 of 成都, 据 of
# 数据, 共 of 磁共振) are not among them.
_FUNCTION_WORDS = (
    "的", "与", "及", "以及", "在", "是", "将", "由", "被", "把", "从", "让", "等", "了",
    "着", "占", "即", "还", "也", "已", "而", "仍", "以上", "以外", "左右", "用于", "对于",
    "他", "她", "它", "他们", "我们", "该", "此", "这", "那", "这些", "那些", "各", "各地",
    "各类", "各级", "各项", "各种", "各个", "其", "其他", "其它", "一批", "一些", "部分",
    "多家", "多个", "一家", "某", "上述", "个别", "不少", "多数", "大多数", "绝大多数", "共计",
)
_FUNCTION_WORD = re.compile(_alternation(_FUNCTION_WORDS))
# Verbs, conjunctions and time words are soft boundaries: a name may take one in
# when the name would be too short otherwise (中国建设银行, 集中开工项目), and
# one with a single character before it is inside the name (的北新建材: 新建;
# 华为: 为).
_NAME_BOUNDARY_WORDS = _FUNCTION_WORDS + (
    "和", "对", "向", "到", "于", "以", "为", "共", "共有", "除", "但", "据悉", "据了解",
    "据介绍", "根据", "依据", "其中", "包括", "例如", "成为", "作为",
    "近日", "日前", "今年", "去年", "明年", "目前", "当前", "今天", "昨天", "当天",
    "此外", "同时", "随后", "年内", "全年", "上半年", "下半年", "期间", "今晚", "未来",
    "会上", "不久前",
    "开工", "签约", "签订", "签署", "落户", "落地", "引进", "引入", "招引", "实施",
    "实行", "推行", "推进", "推动", "加快", "加速", "启动", "开展", "完成", "竣工",
    "投产", "达产", "建成", "新建", "续建", "扩建", "改建", "入驻", "入选", "列入",
    "纳入", "围绕", "聚焦", "谋划", "储备", "打造", "投资", "建设", "开建", "动工",
    "集中", "观摩", "督导", "调研", "考察", "视察", "参观", "走进", "来到", "前往",
    "深入", "看望", "会见", "成立", "组建", "携手", "联合", "牵手", "依托", "助力",
    "获得", "获批", "荣获", "属于", "位于", "来自", "主办", "承办", "举办", "召开",
    "出席", "参加", "表示", "介绍", "指出", "强调", "要求", "推介", "洽谈", "对接",
    "合作", "确保", "力争", "争取", "计划", "预计", "总投资", "建立", "落实", "探索",
    "完善", "采取", "执行", "全面", "深化", "举行", "遴选", "确定", "安排", "推出",
    "涉及", "带动", "承担", "审批", "核准", "筛选", "通过", "全部", "牵头", "促成",
    "达成", "参与", "拉动", "发行", "新签约", "新开工", "新引进", "新落地", "新增",
    "促进", "播出", "下调", "收购", "授权", "培育", "强化", "治理", "引导", "展示",
    "批准", "打击", "征集", "取消", "缓缴", "抓好", "狠抓", "紧抓", "抓住", "赶制",
    "解决", "帮助", "跟进", "支持", "做强", "出现", "设立", "提供", "收到", "接受",
    "致电", "给予", "补短板", "惠民生", "进驻", "到达", "途经", "迎来", "进入",
)
_NAME_BOUNDARY = re.compile(_alternation(_NAME_BOUNDARY_WORDS))
_DATE = re.compile(rf"{_DIGIT}+(?:年度?|月份?|日)|[一二三四五六七八九十]+月份?")
# A name that begins with these is a reference instead (本项目, 全市重点项目,
# 3家公司); the other determiners are function words.
_DETERMINER = re.compile(
    f"(?:本|每|全|我|相关|所有|全部|几家|数家|[{_DIGITS}.．一二两三四五六七八九十几数多万]+[家个项批座条])"
)


_SENTENCE_END = re.compile(r"[。！？!?\n]+")
_CLAUSE_END = re.compile(r"[，,；;：:]")


class Candidate(NamedTuple):
    """A span the rules found, in character offsets."""

    start: int
    end: int
    label: str


class _TextView:
    """The simplified text of a doc with what several rules need about it."""

    def __init__(self, text: str) -> None:
        self.text = to_simplified(text)
        self.boundary_words = {match.end(): match.group() for match in _NAME_BOUNDARY.finditer(self.text)}
        self.date_ends = {match.end() for match in _DATE.finditer(self.text)}
        self.sentence_starts = [0] + [m.end() for m in _SENTENCE_END.finditer(self.text)]

    def name_start(self, end: int, *, min_len: int, max_len: int, stops: Iterable[int] = ()) -> int | None:
        """Where a name ending at ``end`` begins: right after the nearest
        boundary that leaves at least ``min_len`` characters. A name may take
        in a verb (中国建设银行, 集中开工项目) but never punctuation, a function
        word or a number entity ending at one of ``stops``; None when it would,
        or would be longer than ``max_len``."""
        stops = frozenset(stops)
        for start in range(end, max(end - max_len, 0) - 1, -1):
            hard = self._hard_boundary(start, stops)
            if hard or self.word_ending_at(start):
                if end - start >= min_len:
                    return None if _FUNCTION_WORD.match(self.text, start) else start
                if hard:
                    return None
        return None

    def word_ending_at(self, position: int) -> str | None:
        """The boundary word that ends at ``position``, unless it is inside a
        name: a word with a single character before it (的北新建材: 新建)."""
        word = self.boundary_words.get(position)
        if word is None:
            return None
        word_start = position - len(word)
        if self._hard_boundary(word_start - 1, frozenset()) and not self._hard_boundary(word_start, frozenset()):
            return None
        return word

    def _hard_boundary(self, position: int, stops: frozenset[int]) -> bool:
        return (
            position <= 0
            or not _NAME_CHAR.match(self.text[position - 1])
            or position in stops
            or position in self.date_ends
            or self.boundary_words.get(position) in _FUNCTION_WORDS
        )

    def sentence(self, position: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.sentence_starts, position) - 1
        start = self.sentence_starts[index]
        end = self.sentence_starts[index + 1] if index + 1 < len(self.sentence_starts) else len(self.text)
        return start, end


# --- POLICY -------------------------------------------------------------------

_TITLE = re.compile(r"《([^《》\n]{1,80})》")
_TITLE_YEARS = re.compile(r"[（(][^（）()]*\d{4}[^（）()]*[)）]$")
_POLICY_TITLE_END = re.compile(
    "(?:法|法典|条例|规定|办法|规划|计划|方案|意见|措施|举措|通知|标准|规范|纲要|决定|"
    "细则|规则|指南|指引|目录|清单|政策|决议|准则|战略|行动|公约|协定)$"
)
_NEWSPAPER_END = re.compile("(?:日报|晚报|晨报|早报|时报|商报|导报|周报|青年报|法治报|经济报|周刊|杂志)$")
_QUOTE_OPEN, _QUOTE_CLOSE = "“「『\"", "”」』\""
_QUOTED = rf"[{_QUOTE_OPEN}][^{_QUOTE_OPEN}{_QUOTE_CLOSE}，。；\n]{{1,20}}[{_QUOTE_CLOSE}]"
# Guidelines POLICY rule 2 and 4: a quoted name with its head noun.
_QUOTED_POLICY = re.compile(
    rf"{_QUOTED}(?:改革|制度|政策|规划|计划|方案|行动|活动|战略|举措|工作机制|机制|工作模式|模式|工作法)"
)
# Guidelines POLICY rule 3: the systems ending in 制 that county news names.
_SYSTEM = re.compile("(?:告知承诺|承诺|代办|负责|包保|领办|备案|受理|督办|销号|联系|责任|专班|挂牌|[河湖林田链山路]长)制")

# --- PROJECT ------------------------------------------------------------------

_PROJECT_HEAD = re.compile(
    "(?:(?:生产)?基地|生产线|产业园|工程)*项目(?!部|办|组|库|化|制|经理|负责人)"
    # 产业园区 is a zone, 恒基地产 a company, 工程师 a person.
    "|(?:(?:生产)?基地(?!产(?!业))|生产线|产业园(?!区)|工程(?!师|局|院|学|机械|队|公司|有限|技术))+"
)
# A batch of projects is named by these words only (省重点项目, 签约项目,
# 永州市重点建设项目); anything else before the head makes a named project.
_BATCH_NAME = re.compile(
    "^(?:国家级|省级|市级|县级|区级|国家|省|市|县|区|州|镇|乡)?"
    rf"(?:{_QUOTED}|{_DIGIT}{{4}}年度?|第[一二三四五六七八九十{_DIGITS}]+批|首批|年度|"
    "重点|重大|产业|工业|建设|招商|招商引资|基础设施|民生|社会事业|外资|内资|省域外|域外|"
    "制造业|服务业|农业|文旅|交通|水利|能源|新能源|实体|亿元以上|超亿元|高新技术|"
    "战略性新兴产业|新兴产业|新开工|开工|签约|竣工|投产|在建|续建|新建|备案|储备|谋划|"
    "落地|入库|招引|引进|集中签约|集中开工|省市|市县)+$"
)
_QUOTED_NAME = re.compile(f"{_QUOTED}$")
# Balance-of-payments terms, not projects.
_NOT_A_PROJECT = re.compile("^(?:经常|资本|金融)$")
_COUNT = re.compile(rf"(?:{_ARABIC}|{_CHINESE})[万亿]?(?:个|项|批|组)")
# “签约一批”共141个: a quoted batch with its count and no head noun.
_QUOTED_BATCH = re.compile(
    rf"[{_QUOTE_OPEN}]([^{_QUOTE_OPEN}{_QUOTE_CLOSE}]{{1,8}}一批)[{_QUOTE_CLOSE}]"
    rf"(?=[共计有]*(?:{_DIGIT}+|{_CHINESE})个)"
)

# --- ORG and zones ------------------------------------------------------------

# Bodies of government and party by their standard names; they follow a written
# region (吕梁市委, 祁阳高新区管委会) or a level character (市发改委, 区委办).
_GOVERNMENT_BODIES = (
    "人民政府", "政府办公室", "政府办", "政府", "人大常委会", "人大", "政协", "纪委监委",
    "纪委", "监委", "发展和改革委员会", "发展改革委", "发改委", "发改局", "工业和信息化局",
    "工信局", "商务局", "财政局", "税务局", "自然资源和规划局", "自然资源局",
    "住房和城乡建设局", "住建局", "生态环境局", "交通运输局", "农业农村局", "水利局",
    "科技局", "教育局", "人力资源和社会保障局", "人社局", "应急管理局", "市场监督管理局",
    "市场监管局", "行政审批服务局", "行政审批局", "招商局", "投资促进局", "投促局", "统计局",
    "审计局", "金融办", "国资委", "管委会", "文化和旅游局", "文旅局", "卫生健康委", "卫健委",
    "公安局", "城市管理局", "城管局", "林业局", "能源局", "医保局", "乡村振兴局", "数据局",
    "政务服务中心", "政务服务管理局", "公共资源交易中心", "党工委", "府",
)
_PARTY_BODY = "委(?:办公室|办|组织部|宣传部|统战部|政法委|常委会)?"
# 区 of 社区/园区/景区 and 市 of 城市/超市 are not levels.
_LEVEL = "(?:(?<![社园城景小片地辖矿营街校厂])区|(?<![城都超股门夜上集])市|省|县|州|镇|乡|开发区|高新区|经开区|园区|新区)"
# Departments named for two fields (工业和能源局, 自然资源和规划分局) are bodies
# however their fields are worded.
_DEPARTMENT = "[\u4e00-\u9fff]{2,6}和[\u4e00-\u9fff]{2,6}?(?:分局|局|委员会)(?![面势])"
_BODY = rf"(?:{_alternation(_GOVERNMENT_BODIES)}|{_PARTY_BODY}|{_DEPARTMENT})"
_GOVERNMENT = re.compile(rf"(?:中共)?{_LEVEL}{_BODY}")
# After a written place any name ending in a word for a department is a body
# (深圳市科技创新局, 海南省商务厅, 浙江省援疆指挥部); 格局, 布局 are no bodies.
_BODY_AFTER_PLACE = re.compile(
    rf"{_BODY}|[\u4e00-\u9fff]{{1,6}}?(?<![格布大结开全变])(?:局|厅|委员会|指挥部)(?![面势])"
)
# After a written place a fund or a service centre is named too (界首市循环经济产业
# 发展基金, 韶关市投资促进中心); without a place they are mostly generic (产业引导基金).
_FUND_OR_CENTRE_AFTER_PLACE = re.compile(
    "[\u4e00-\u9fff]{1,12}?(?:产业|发展|投资|引导|创投|创业|天使|种子|并购)母?基金|[\u4e00-\u9fff]{1,8}?(?:服务|促进)中心"
)
_ZONE_LEVEL = re.compile("开发区|高新区|经开区|园区|新区")
_BRANCH = re.compile("[省市]?(?:分行|支行|分公司)")
_ZONE_SUFFIX = re.compile(
    "(?:国家级)?(?:经济技术开发区|经济开发区|高新技术产业开发区|高新技术开发区|高新区|经开区|"
    "开发区|工业园区|产业园区|产业集聚区|新区|综合保税区|保税区|自贸区|自由贸易试验区|"
    "示范区|都市圈|城市群|经济圈|经济带|地区)"
)
# Words that name a class of organisations before a suffix (商业银行,
# 大型商业银行, 龙头企业): only a place before them makes a name (湖南农村商业银行).
_ORG_CLASS_WORDS = re.compile(
    "(?:商业|农村|城市|村镇|政策性|国有|股份制|外资|民营|地方|大型|中小|小型|中型|相关|合作|"
    "金融|本地|当地|省内|市内|国内|外地|头部|龙头|上市|科技型|骨干|链主|重点|优质|知名|"
    "世界|500强|跨国|实体|家装|装修|定点|行业|全国|我国|本土|理工类|国内外|内地)+$"
)
# Words for companies in general, written before a company's own name.
_COMPANY_WORD = re.compile("(?:企业|公司|集团|厂商|龙头|单位)$")
# Nor is a name made only of the words companies add to their names.
_ORG_NAME_PARTS = re.compile("(?:投资|控股|有限|责任|股份|建设|工程|科技|发展|管理|实业|集团)+")


def find_money(view: _TextView) -> list[Candidate]:
    return [Candidate(m.start(), m.end(), "MONEY") for m in _MONEY.finditer(view.text)]


def find_percent(view: _TextView) -> list[Candidate]:
    return [Candidate(m.start(), m.end(), "PERCENT") for m in _PERCENT.finditer(view.text)]


def find_titles(view: _TextView) -> list[Candidate]:
    """《》 titles: policy titles are POLICY, newspapers ORG, other works nothing."""
    found = []
    for match in _TITLE.finditer(view.text):
        start, title = match.start(1), match.group(1)
        title = _TITLE_YEARS.sub("", title).rstrip()
        if _POLICY_TITLE_END.search(title):
            found.append(Candidate(start, start + len(title), "POLICY"))
        elif _NEWSPAPER_END.search(title):
            found.append(Candidate(start, start + len(title), "ORG"))
    return found


def find_named_policies(view: _TextView) -> list[Candidate]:
    found = [Candidate(m.start(), m.end(), "POLICY") for m in _QUOTED_POLICY.finditer(view.text)]
    for match in _SYSTEM.finditer(view.text):
        start = view.name_start(match.start(), min_len=0, max_len=10)
        if start is not None and not _DETERMINER.match(view.text, start):
            found.append(Candidate(start, match.end(), "POLICY"))
    return found


def find_projects(view: _TextView, bounds: Sequence[Candidate], regions: Sequence[Candidate]) -> list[Candidate]:
    """Named projects (振阳纺织项目) and batches that a figure is given for in
    their sentence (86个省重点项目 → 省重点项目, “签约一批”项目). No name runs
    into one of ``bounds`` (amounts, policies, organisations) or a count."""
    stops = [bound.end for bound in bounds] + [m.end() for m in _COUNT.finditer(view.text)]
    found = []
    for head in _PROJECT_HEAD.finditer(view.text):
        quoted = _QUOTED_NAME.search(view.text, max(head.start() - 22, 0), head.start())
        if quoted:
            start = quoted.start()
        else:
            start = view.name_start(head.start(), min_len=2, max_len=20, stops=stops)
        if start is None or _DETERMINER.match(view.text, start):
            continue
        # 胡各庄镇布局项目: a name never starts inside a place.
        start = next((r.end for r in regions if r.start < start < r.end), start)
        word_before = view.word_ending_at(head.start())
        if word_before and not quoted and not _BATCH_NAME.match(word_before):
            continue  # 用于项目, 审批项目: a verb, no name, before the head
        # 湖南振阳纺织项目, 漯河市临颍县三季度重点项目: the places only say where the project is.
        name_start = _end_of_places(regions, start, limit=head.start())
        name = view.text[name_start : head.start()]
        if _NOT_A_PROJECT.match(name):
            continue
        if _BATCH_NAME.match(name):
            if _has_figure(view, start, head.end(), bounds):
                found.append(Candidate(name_start, head.end(), "PROJECT"))
        elif len(name) < 3:
            continue  # 跳水项目, 科研项目: two characters name a kind, not a project
        else:
            found.append(Candidate(name_start, head.end(), "PROJECT"))
    for match in _QUOTED_BATCH.finditer(view.text):
        found.append(Candidate(match.start(1), match.end(1), "PROJECT"))
    return found


def _has_figure(view: _TextView, start: int, end: int, entities: Sequence[Candidate]) -> bool:
    """Whether the sentence around ``start:end`` gives a count, or an amount
    among ``entities``."""
    sentence_start, sentence_end = view.sentence(start)
    if any(e.label == "MONEY" and sentence_start <= e.start < sentence_end for e in entities):
        return True
    sentence = view.text[sentence_start:sentence_end]
    return any(
        not (start <= sentence_start + m.start() < end) for m in _COUNT.finditer(sentence)
    )


def find_zones(view: _TextView, regions: Sequence[Candidate]) -> list[Candidate]:
    """A place with a zone or area word after it (平鲁经济技术开发区, 郑州都市圈)."""
    found = []
    for region in regions:
        match = _ZONE_SUFFIX.match(view.text, region.end)
        if match:
            found.append(Candidate(region.start, match.end(), "REGION"))
    return found


# Words that make any name before them an operating zone (湄洲湾北岸经济开发区,
# 金砂湾工业园); 产业园 is left out: it is a PROJECT while it is being built.
_NAMED_ZONE_SUFFIX = re.compile(
    "经济技术开发区|经济开发区|高新技术产业开发区|高新区|经开区|工业园区|工业园|工业区|"
    "综合保税区|临空经济区|新片区|试验区|合作区|产业集聚区|科学城|"
    "产业园区|物流园区|工业集中区|产业集中区|港务区|科技城"
)
# Names that only say what kind of zone it is (省级经济开发区, 各工业园区).
_ZONE_KIND = re.compile("(?:国家级|省级|市级|县级|各|全|本|该|新|多个|一批|重点|相关|国家)+$")
_PLACE_LEVEL_END = re.compile("[省市县区州旗镇乡]$")
# The last level character inside a zone's name ends a place written before it.
_LEVEL_INSIDE = re.compile("[^县乡镇旗区]*[县乡镇旗区](?!.*[县乡镇旗区])")


def find_named_zones(view: _TextView, regions: Sequence[Candidate], bounds: Sequence[Candidate]) -> list[Candidate]:
    """A name with a word for a zone after it, where the name need not be a
    known place. A zone named after a known place begins with it (经南宁综合保税区,
    鄂州临空经济区); a county, township or zone written before the name is a place
    of its own (岐山县 + 蔡家坡经开区, 枋寮乡 + 屏南工业区)."""
    stops = [bound.end for bound in bounds]
    region_starts = {region.start for region in regions}
    found = []
    for suffix in _NAMED_ZONE_SUFFIX.finditer(view.text):
        start = view.name_start(suffix.start(), min_len=2, max_len=12, stops=stops)
        if start is None:
            continue
        # 这个位于寿光经济开发区: a verb inside the span ends what comes before the name.
        start = max([end for end in view.boundary_words if start < end <= suffix.start() - 2], default=start)
        inside = [region for region in regions if start <= region.start and region.end <= suffix.start()]
        start = min((region.start for region in inside), default=start)
        for region in inside:
            if region.end == suffix.start():
                continue  # 邯郸综合保税区: find_zones' case
            if _PLACE_LEVEL_END.search(view.text, 0, region.end) or region.end in region_starts:
                start = max(start, region.end)  # 岐山县蔡家坡经开区, 湖北鄂州临空经济区
        level = _LEVEL_INSIDE.search(view.text, start, suffix.start() - 2)
        if level and level.end() - start >= 2 and start not in region_starts:
            found.append(Candidate(start, level.end(), "REGION"))  # 枋寮乡屏南工业区
            start = level.end()
        name = view.text[start : suffix.start()]
        if len(name) >= 2 and not _ZONE_KIND.match(name) and not _DETERMINER.match(name):
            found.append(Candidate(start, suffix.end(), "REGION"))
    return found


# One-character abbreviations of provinces, cities and countries (R10 of the rulings).
_PLACE_INITIALS = "京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川蜀黔滇藏陕甘陇青宁新港澳台深穗杭甬厦"
_COUNTRY_INITIALS = "俄哈越老缅柬泰马新印巴蒙日韩美欧非德法英阿乌吉塔"
_LISTED_INITIALS = re.compile(f"[{_PLACE_INITIALS}](?:、[{_PLACE_INITIALS}])+(?=[两三四五六七八]?[地省市国方])")
_COOPERATION = "合作|协同|一体化|两地|三地|四省|交界|之间|往来|通道|班列|物流|贸易|经贸|联动|对接|跨境|铁路|边境|双城"
_JOINED_INITIALS = re.compile(
    f"(?:[{_PLACE_INITIALS}]{{2,4}}|中[{_COUNTRY_INITIALS}]{{1,3}})(?={_COOPERATION}|[两三四五][地省国方]|革命老区)"
)
# Where capital, companies or people come from (港资, 湘企, 日商, 闽籍): not after
# a character that makes a word with the abbreviation (临港企业, 平台企业, 援藏资金).
_ORIGIN_INITIALS = "京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川黔滇陕甘港澳台深穗甬厦俄越缅柬泰日韩美欧德法英"
_CAPITAL_ORIGIN = re.compile(
    f"(?<![临平援出进入空海])[{_ORIGIN_INITIALS}]"
    "(?=资(?![金源料产本质讯格])|商(?![品业务场贸标铺户圈])|企(?!业)|籍|胞)"
)
# Where investors come to (来鲁投资, 在华设厂).
_DESTINATION = re.compile(f"(?<=[来赴到在入])[{_ORIGIN_INITIALS}华](?=投资|发展|兴业|创业|考察|落户|设厂|建厂)")
# The side of a cross-border deal (日方, 港方); 中方 is the writer's own side, not a place.
_FOREIGN_SIDE = re.compile(f"[{_COUNTRY_INITIALS}港澳台深](?=方(?![面式向法案]))")


def find_initials(view: _TextView) -> list[Candidate]:
    """Runs of one-character abbreviations (沪苏浙皖四省, 港、深两地, 中吉乌铁路)
    and the place in 港资, 湘企, 来鲁投资, 日方: one REGION each."""
    found = []
    for pattern in (_LISTED_INITIALS, _JOINED_INITIALS, _CAPITAL_ORIGIN, _DESTINATION, _FOREIGN_SIDE):
        for match in pattern.finditer(view.text):
            found += [Candidate(i, i + 1, "REGION") for i in range(match.start(), match.end()) if view.text[i] != "、"]
    return found


def _end_of_places(regions: Sequence[Candidate], start: int, limit: float = float("inf")) -> int:
    """Where the places written one after another from ``start`` end, reading
    no further than ``limit``; ``start`` when no place begins there."""
    ends_at = {r.start: r.end for r in regions}
    position = start
    while position < limit and position in ends_at:
        position = ends_at[position]
    return position


def _covered_by(regions: Sequence[Candidate], start: int, end: int) -> bool:
    """Whether places written one after another fill ``start:end`` (浙江丽水)."""
    return start < _end_of_places(regions, start, end) == end


def find_organisations(
    view: _TextView, suffixes: re.Pattern[str] | None, bounds: Sequence[Candidate], regions: Sequence[Candidate]
) -> list[Candidate]:
    """Government and party bodies (吕梁市委, 市发改委) and names with an
    organisation suffix (…有限公司, …银行) that do not run into ``bounds``."""
    stops = [bound.end for bound in bounds]
    found = []
    for match in _GOVERNMENT.finditer(view.text):
        start = match.start()
        # 吕梁市委, 祁阳高新区管委会: the written region belongs to the body.
        for region in regions:
            if region.start < start <= region.end:
                start = region.start
        if start == match.start() and _ZONE_LEVEL.match(view.text, start):
            # 湄洲湾北岸经济开发区管委会: a zone's name need not be a known place.
            zone_start = view.name_start(start, min_len=2, max_len=16, stops=stops + [c.end for c in found])
            start = start if zone_start is None else zone_start
        if view.text[max(start - 2, 0) : start] == "中共":
            start -= 2
        found.append(Candidate(start, match.end(), "ORG"))
    for region in regions:
        # 盐城市委 (市 after 城 is no level for _GOVERNMENT), 海南省商务厅.
        body = _BODY_AFTER_PLACE.match(view.text, region.end) or _FUND_OR_CENTRE_AFTER_PLACE.match(view.text, region.end)
        if body and not _FUNCTION_WORD.search(body.group()):
            found.append(Candidate(region.start, body.end(), "ORG"))
    if suffixes is not None:
        for match in suffixes.finditer(view.text):
            start = view.name_start(match.start(), min_len=2, max_len=20, stops=stops)
            if start is None:
                continue
            # 本土企业洛阳中州时代车业有限公司: after a word for companies, a place starts the name.
            start = next(
                (r.start for r in regions if start < r.start < match.start() and _COMPANY_WORD.search(view.text, start, r.start)),
                start,
            )
            if view.text[start] == "据" and match.start() - start > 2:
                start += 1  # 据湄洲日报报道: "according to" before the name
            name = view.text[start : match.start()]
            class_words = _ORG_CLASS_WORDS.search(name)
            if class_words and not _covered_by(regions, start, start + class_words.start()):
                continue
            if not _DETERMINER.match(name) and not _ORG_NAME_PARTS.fullmatch(name):
                found.append(Candidate(start, match.end(), "ORG"))
    return found


def find_branches(view: _TextView, organisations: Sequence[Candidate], regions: Sequence[Candidate]) -> list[Candidate]:
    """An organisation, the places of a branch, and 分行/支行/分公司 make one
    name (中国银行鄂尔多斯分行, 国家开发银行山东省分行)."""
    found = []
    for organisation in organisations:
        position = _end_of_places(regions, organisation.end)
        branch = _BRANCH.match(view.text, position) if position > organisation.end else None
        if branch:
            found.append(Candidate(organisation.start, branch.end(), "ORG"))
    return found


class RegexEntities:
    """Finds MONEY, PERCENT, POLICY, PROJECT, ORG (by name grammar and suffix)
    and development-zone REGION spans, and merges them with the entities already
    on the doc: where spans overlap the longest one stays, which is the
    guidelines' "annotate only the outer span"."""

    def __init__(self, name: str = "zh_invest_regex_entities") -> None:
        self.name = name
        self.org_suffixes: list[str] = []
        self._suffix_pattern: re.Pattern[str] | None = None

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        org_suffixes: Iterable[str] | None = None,
    ) -> None:
        """Load the ORG name suffixes (有限公司, 集团, 银行, …)."""
        if org_suffixes is not None:
            self.set_org_suffixes(org_suffixes)

    def set_org_suffixes(self, suffixes: Iterable[str]) -> None:
        self.org_suffixes = sorted({to_simplified(s.strip()) for s in suffixes if s.strip()})
        # 日报道 and 银行业 are no names.
        self._suffix_pattern = re.compile(f"(?:{_alternation(self.org_suffixes)})(?![道业])") if self.org_suffixes else None

    def __call__(self, doc: Doc) -> Doc:
        view = _TextView(doc.text)
        existing = [Candidate(e.start_char, e.end_char, e.label_) for e in doc.ents]
        numbers = find_money(view) + find_percent(view)
        policies = find_titles(view) + find_named_policies(view)
        regions = [c for c in existing if c.label == "REGION"]
        regions += find_zones(view, regions)
        regions += find_named_zones(view, regions, numbers + policies) + find_initials(view)
        organisations = find_organisations(view, self._suffix_pattern, numbers + policies, regions)
        organisations += find_branches(view, [c for c in existing + organisations if c.label == "ORG"], regions)
        # 湖南金华纺织有限公司年产5万吨纱线项目: the project's name starts after the company.
        projects = find_projects(view, numbers + policies + organisations, regions)
        candidates = (
            [c for c in existing if c.label != "REGION"] + numbers + policies + regions + organisations + projects
        )
        spans = [
            span
            for c in candidates
            if not _is_adjective_use(view, c)
            and (span := doc.char_span(c.start, c.end, label=c.label, alignment_mode="expand")) is not None
        ]
        doc.ents = sorted(filter_spans(spans), key=lambda span: span.start)
        return doc

    def score(self, examples: Iterable[Example], **kwargs) -> dict[str, object]:
        return get_ner_prf(examples)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        serializers = {"org_suffixes.json": lambda p: srsly.write_json(p, self.org_suffixes)}
        util.to_disk(path, serializers, exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "RegexEntities":
        deserializers = {"org_suffixes.json": lambda p: self.set_org_suffixes(srsly.read_json(p))}
        util.from_disk(path, deserializers, exclude)
        return self


def _is_adjective_use(view: _TextView, candidate: Candidate) -> bool:
    # 中国式现代化: a place name before 式 is not a place (settled cases).
    return candidate.label == "REGION" and view.text[candidate.end : candidate.end + 1] == "式"


@Language.factory(
    "zh_invest_regex_entities",
    assigns=["doc.ents", "token.ent_type", "token.ent_iob"],
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0},
)
def make_regex_entities(nlp: Language, name: str) -> RegexEntities:
    return RegexEntities(name)


# --- Relations ------------------------------------------------------------------

# Words that make the rest of a clause about a whole area (全市完成投资…).
_AREA_WIDE = re.compile("全市|全县|全区|全省|全州|全镇|全乡|全国|我市|我县|我区|我省|该市|该县")
# What may stand between an amount and the project it qualifies (5000万元以上的…项目).
_AMOUNT_TO_PROJECT = re.compile("^(?:及?以上|左右)?的?$")


class RelationLinker:
    """Links each MONEY to a PROJECT of its sentence: the type comes from the
    trigger word before the amount (总投资 → INVESTMENT, 产值 → OUTPUT), the
    project from the amount's position; an amount without a trigger or without
    a project it clearly qualifies stays unlinked."""

    def __init__(
        self,
        name: str,
        *,
        investment_triggers: list[str],
        output_triggers: list[str],
        max_trigger_gap: int,
        max_project_gap: int,
    ) -> None:
        self.name = name
        self.max_trigger_gap = max_trigger_gap
        self.max_project_gap = max_project_gap
        self.trigger_types = {to_simplified(t): "INVESTMENT" for t in investment_triggers}
        self.trigger_types.update({to_simplified(t): "OUTPUT" for t in output_triggers})
        self._triggers = re.compile(_alternation(self.trigger_types))
        self._longest_trigger = max(map(len, self.trigger_types))

    def __call__(self, doc: Doc) -> Doc:
        view = _TextView(doc.text)
        projects = [e for e in doc.ents if e.label_ == "PROJECT"]
        relations = []
        for money in (e for e in doc.ents if e.label_ == "MONEY"):
            found = self._link(view, money, projects)
            if found:
                project, label = found
                relations.append(Relation(head=money, tail=project, label=label))
        doc._.relations = relations
        return doc

    def _link(self, view: _TextView, money: Span, projects: Sequence[Span]) -> tuple[Span, str] | None:
        sentence_start, sentence_end = view.sentence(money.start_char)
        clause_start = max(
            [sentence_start] + [m.end() for m in _CLAUSE_END.finditer(view.text, sentence_start, money.start_char)]
        )
        in_sentence = [p for p in projects if sentence_start <= p.start_char and p.end_char <= sentence_end]
        following = [p for p in in_sentence if p.start_char >= money.end_char]
        next_project = min(following, key=lambda p: p.start_char, default=None)
        label = self._trigger_type(view, clause_start, money.start_char)
        # 总投资120亿元的金大地项目, 引进5000万元以上产业项目: the amount qualifies
        # the project right after it, with or without a trigger.
        if next_project and _AMOUNT_TO_PROJECT.match(view.text[money.end_char : next_project.start_char]):
            return next_project, label or "INVESTMENT"
        if label is None:
            return None
        preceding = [p for p in in_sentence if p.end_char <= money.start_char]
        before = max(preceding, key=lambda p: p.end_char, default=None)
        if before and before.start_char >= clause_start:
            return before, label
        if (
            next_project
            and next_project.start_char - money.end_char <= self.max_project_gap
            and not _CLAUSE_END.search(view.text, money.end_char, next_project.start_char)
        ):
            # 投资20亿元建设振阳纺织项目
            return next_project, label
        if before and not _AREA_WIDE.search(view.text, before.end_char, money.start_char):
            return before, label
        return None

    def _trigger_type(self, view: _TextView, clause_start: int, money_start: int) -> str | None:
        window_start = max(clause_start, money_start - self.max_trigger_gap - self._longest_trigger)
        triggers = [
            m for m in self._triggers.finditer(view.text, window_start, money_start)
            if money_start - m.end() <= self.max_trigger_gap
        ]
        return self.trigger_types[triggers[-1].group()] if triggers else None

    def score(self, examples: Iterable[Example], **kwargs) -> dict[str, object]:
        return score_relations(examples)


@Language.factory(
    "zh_invest_relation_linker",
    default_config={
        "investment_triggers": list(TRIGGER_WORDS["INVESTMENT"]),
        "output_triggers": list(TRIGGER_WORDS["OUTPUT"]),
        "max_trigger_gap": 4,
        "max_project_gap": 6,
    },
    requires=["doc.ents"],
    assigns=["doc._.relations"],
    default_score_weights={"rel_micro_f": 1.0, "rel_micro_p": 0.0, "rel_micro_r": 0.0},
)
def make_relation_linker(
    nlp: Language,
    name: str,
    investment_triggers: list[str],
    output_triggers: list[str],
    max_trigger_gap: int,
    max_project_gap: int,
) -> RelationLinker:
    return RelationLinker(
        name,
        investment_triggers=investment_triggers,
        output_triggers=output_triggers,
        max_trigger_gap=max_trigger_gap,
        max_project_gap=max_project_gap,
    )


def add_rules(nlp: Language, gazetteer_patterns: Iterable[dict], org_suffixes: Iterable[str]) -> Language:
    """Add the rules to a blank pipeline: a gazetteer ruler for REGION and ORG
    names, the regex entities and the relation linker."""
    ruler = nlp.add_pipe("entity_ruler", name="gazetteer", config={"validate": True})
    ruler.add_patterns(list(gazetteer_patterns))
    nlp.add_pipe("zh_invest_regex_entities").initialize(nlp=nlp, org_suffixes=org_suffixes)
    nlp.add_pipe("zh_invest_relation_linker")
    return nlp
