"""Validation with pandera and scoring: from read values to recomputed scores and findings."""
