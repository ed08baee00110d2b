"""The grid feature (see feature.py)."""
