"""The tradeoff feature (see feature.py)."""
