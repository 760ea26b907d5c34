"""Chinese segmentation for catalog search (jieba).

Both stores index the same jieba tokens, so the same data gives the same results on SQLite and PostgreSQL by
construction. Documents are cut with ``cut_for_search`` (words plus their dictionary sub-words: 营业执照 also
yields 营业 and 执照), queries with plain ``cut``; a query word therefore matches a document that contains it as a
word or a sub-word. The HMM guesser for unknown words is off on both sides: with it, the same string could be
segmented differently in a short query than inside a long name, and a query would miss its own text.
"""

from __future__ import annotations

import gc
import re
import threading
import unicodedata

import jieba

#: Field weights, summed per (token, resource): a hit in the name ranks above one in the summary.
W_NAME, W_KEYWORD, W_ITEM, W_SUMMARY = 8, 4, 2, 1

#: Words of the catalog domain that jieba's general dictionary splits or lacks.
DOMAIN_WORDS = (
    "公民身份号码",
    "身份证号",
    "统一社会信用代码",
    "社会信用代码",
    "营业执照",
    "出生医学证明",
    "不动产",
    "不动产登记",
    "不动产权",
    "公积金",
    "住房公积金",
    "社保",
    "参保",
    "医保",
    "学籍",
    "婚姻登记",
    "户籍",
    "低保",
    "特困",
    "残疾人",
    "法定代表人",
    "数源",
    "电子证照",
    "排污许可",
    "网签",
    "公证",
    "法律援助",
    "退役军人",
    "危险化学品",
)

#: Words dropped from a query that has other words: they occur in nearly every entry (…信息, …数据), so they
#: would only slow the intersection down without narrowing it. Alone, they are still searched.
QUERY_STOP = frozenset({"信息", "数据", "资源", "的", "和", "与", "及", "等", "表", "库", "或", "之"})
#: Never indexed nor searched: function words and punctuation.
INDEX_STOP = frozenset({"的", "和", "与", "及", "等", "或", "之", "了", "在", "为", "对", "是"})

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)


def tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer (not the global one, which other code may configure), built once per process."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in DOMAIN_WORDS:
                    tk.add_word(word, freq=200_000)
                _tokenizer = tk
                # The dictionary is several hundred thousand objects that live as long as the process: move them
                # out of the collector's reach, or every full collection walks them (tens of ms, a latency spike).
                gc.freeze()
    return _tokenizer


def normalize(text: str) -> str:
    """Full-width to half-width, lower case: ＡＢＣ and abc are one token."""
    return unicodedata.normalize("NFKC", text).lower()


def _keep(token: str) -> bool:
    token = token.strip()
    return bool(token) and len(token) <= 64 and token not in INDEX_STOP and _WORD.search(token) is not None


def index_tokens(text: str) -> list[str]:
    if not text:
        return []
    return [t.strip() for t in tokenizer().cut_for_search(normalize(text), HMM=False) if _keep(t)]


def query_tokens(query: str) -> list[str]:
    words: list[str] = []
    for part in normalize(query).split():
        for token in tokenizer().cut(part, HMM=False):
            token = token.strip()
            if _keep(token) and token not in words:
                words.append(token)
    narrowed = [w for w in words if w not in QUERY_STOP]
    return narrowed or words


def weighted_tokens(
    name: str, summary: str, keywords: list[str], item_names: list[str], extra: list[str] = ()
) -> dict[str, int]:
    """token → sum of the weights of the fields it occurs in (each field counted once)."""
    weights: dict[str, int] = {}

    def add(tokens: set[str], weight: int) -> None:
        for t in tokens:
            weights[t] = weights.get(t, 0) | weight

    add(set(index_tokens(name)), W_NAME)
    add({t for kw in keywords for t in index_tokens(kw)} | {normalize(kw) for kw in keywords if _keep(kw)}, W_KEYWORD)
    add({t for n in item_names for t in index_tokens(n)} | {normalize(e) for e in extra if _keep(e)}, W_ITEM)
    add(set(index_tokens(summary)), W_SUMMARY)
    return weights
