"""Rule kinds: the small vocabulary a table definition composes each indicator's score from."""

from selfscore.tables.rules.base import *  # noqa: F403  (kept importable while the kinds move)
from selfscore.tables.rules.base import _input_ref, _positive  # noqa: F401
