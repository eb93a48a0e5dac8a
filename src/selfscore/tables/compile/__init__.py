"""From an annex's table (一级指标, 二级指标, 分值, 评分标准) to a definition file: ``selfscore table new``.

Plain data and text only: the reading of .docx and .xlsx annexes is in ``selfscore.read.annex``. Each
criterion is matched against a small table of phrasings (``phrases.PHRASES``, each with its example);
a criterion none of them reads becomes a ``judged`` part with a comment quoting it.
"""

from selfscore.tables.compile.compiler import Annex, AnnexRow, Compiled, compile_annex
from selfscore.tables.compile.phrases import PHRASES, Phrase

__all__ = ["PHRASES", "Annex", "AnnexRow", "Compiled", "Phrase", "compile_annex"]
