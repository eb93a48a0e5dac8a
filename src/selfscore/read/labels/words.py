"""Words as the label reader compares them: folded to what identifies them, matched with a margin."""

from __future__ import annotations

import difflib
import re
import unicodedata

#: how alike (difflib ratio of folded text) a label must be to count as the same words
NAME_THRESHOLD = 0.75

FACT_THRESHOLD = 0.85

#: the best match must beat the runner-up by this much, or the match is ambiguous
MARGIN = 0.1

_PUNCTUATION = re.compile(r"[\s\u3000,，、。.．:：;；!！?？()（）\[\]【】「」『』“”‘’\"'·•\-—–_/\\|*＊~～]+")

_BRACKETED = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")

#: a word of two to ten characters typed twice or more; bounded, so folding a 32 767-character cell takes
#: milliseconds, not the seconds an unbounded group takes to try every length at every place
_REPEATED = re.compile(r"(.{2,10}?)\1+")

def fold(text: object, *, drop_brackets: bool = False) -> str:
    """Text reduced to what identifies it: NFKC, no spaces or punctuation, a doubled word once (资金资金 → 资金)."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    if drop_brackets:
        folded = _BRACKETED.sub("", folded)
    folded = _PUNCTUATION.sub("", folded).lower()
    return _REPEATED.sub(r"\1", folded)

def likeness(first: str, second: str, floor: float = 0.0) -> float:
    """difflib's ratio; below ``floor`` any value below it will do, so cheap upper bounds end most comparisons early."""
    if first == second:
        return 1.0
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()

def best_match(text: str, candidates: dict[str, str], threshold: float) -> tuple[str | None, list[str]]:
    """The candidate key whose folded words are most like ``text``: (key, []) when clear,
    (None, [the tied keys]) when ambiguous, (None, []) when nothing is close enough."""
    # Runner-ups within MARGIN of a match matter for ambiguity, so only what cannot reach threshold − MARGIN is cut short.
    floor = threshold - MARGIN
    scored = sorted(((likeness(text, words, floor), key) for key, words in candidates.items()), reverse=True)
    if not scored or scored[0][0] < threshold:
        return None, []
    best = scored[0][0]
    if best == 1.0 and (len(scored) == 1 or scored[1][0] < 1.0):
        return scored[0][1], []
    close = [key for score, key in scored if score >= threshold and best - score < MARGIN]
    if len(close) > 1:
        return None, close
    return scored[0][1], []
