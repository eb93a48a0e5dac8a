"""Everything written: the template, filling, the marked-up copy, the rebuilt copy, the summary, terminal text."""
