"""How text becomes search tokens, and a query becomes an FTS5 expression.

SQLite's own tokenizers cannot find a two-character Chinese word (unicode61 keeps a whole
CJK run as one token; trigram needs three characters). So Chinese text is indexed as
overlapping bigrams, plus the run's last character on its own ("社会保障" -> "社会 会保 保障
障"), written space-separated into an ordinary FTS5 column. A query is cut the same way and
searched as a phrase: consecutive tokens match exactly where the query's characters stand
together in the text. Because every character of the text begins a token, a query ending
in one character ("第3号", "籍") is a prefix of the text's token there, and no query needs a
scan of the documents beside the index.

Latin letters and digits stay whole words. A year in the brackets of a document number
("和人社发〔2018〕12号") gives two tokens, "2018" and "〔2018〕" (the search table keeps 〔〕 as
token characters): a query "2018" finds it, a query "〔2018〕" finds only document numbers."""

from __future__ import annotations

import re
import unicodedata

# Runs of Han characters (with the CJK extension A block), a bracketed year of a document
# number (〔〕 and the brackets written in its place: [] 【】 () 〖〗, after NFKC), and runs of
# letters/digits.
_SEGMENT = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
                      r"|[〔\[【(〖]\s*(\d{4})\s*[〕\]】)〗]"
                      r"|([0-9A-Za-z]+)")
# The characters the FTS5 tokenizer keeps inside tokens (see the search table's definition).
TOKEN_CHARACTERS = "〔〕"


def _segments(text: str):
    """(kind, run) pairs in order: kind "han", "year" (bracketed) or "word"."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    for match in _SEGMENT.finditer(text):
        if match.group(1):
            yield "han", match.group(1)
        elif match.group(2):
            yield "year", match.group(2)
        else:
            yield "word", match.group(3)


def _han_tokens(run: str) -> list[str]:
    """Bigrams of a run, then its last character: every character begins a token."""
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for kind, run in _segments(text):
        if kind == "han":
            tokens.extend(_han_tokens(run))
        elif kind == "year":
            tokens.extend([run, f"〔{run}〕"])
        else:
            tokens.append(run)
    return tokens


def index_tokens(text: str) -> str:
    """The token string stored in the FTS5 column for `text`."""
    return " ".join(_tokens(text))


def query_terms(query: str) -> list[list[str]]:
    """Each whitespace-separated part of a query as its list of tokens (empty parts dropped)."""
    terms = []
    for part in (query or "").split():
        tokens = _tokens(part)
        segments = list(_segments(part))
        if segments and segments[-1][0] == "han" and len(segments[-1][1]) > 1:
            # a part ending in a run of Han characters: its bigrams already say everything,
            # and the run's last character alone would be a costly prefix ("保" * matches
            # every token beginning with 保)
            tokens.pop()
        if tokens:
            terms.append(tokens)
    return terms


def _is_han(token: str) -> bool:
    found = _SEGMENT.fullmatch(token)
    return bool(found and found.group(1))


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression: every part of the query must appear, each as a phrase.

    A part that ends in a single Han character ("12号", or "户籍" whose tokens end "籍")
    marks it as a prefix, so it also matches where the text goes on ("12号文件" is indexed
    "12 号文 文件 件").
    Returns None when the query has nothing searchable."""
    phrases = []
    for tokens in query_terms(query):
        phrase = " + ".join(_quote(t) for t in tokens)
        if _is_han(tokens[-1]) and len(tokens[-1]) == 1:
            phrase += " *"
        phrases.append("(" + phrase + ")")
    return " AND ".join(phrases) if phrases else None


def needles(query: str) -> list[str]:
    """The literal strings to look for when cutting a snippet or scanning without the index."""
    return [unicodedata.normalize("NFKC", part).lower() for part in (query or "").split() if part.strip()]


_LATIN = re.compile(r"[0-9a-z]")


def snippet(text: str, query: str, width: int = 60) -> str:
    """A piece of `text` around the first place any part of the query occurs, with ellipses."""
    text = " ".join((text or "").split())
    parts = needles(query)
    lowered = text.lower()
    positions = [p for p in (lowered.find(n) for n in parts) if p >= 0]
    if not positions and any(_LATIN.search(part) for part in parts):
        # the text may write the query's letters or digits full-width ("１２号"): compare
        # folded (NFKC is slow on Chinese text, so only then)
        folded = unicodedata.normalize("NFKC", text).lower()
        positions = [p for p in (folded.find(n) for n in parts) if p >= 0]
    if not positions:
        return text[:width] + ("…" if len(text) > width else "")
    start = max(0, min(positions) - width // 3)
    end = min(len(text), start + width)
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")
