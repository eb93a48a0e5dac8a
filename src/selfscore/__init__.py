"""selfscore: check performance self-assessment tables of urban affordable-housing funds."""

__version__ = "0.1.0"
