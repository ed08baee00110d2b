"""The capacity feature (see feature.py)."""
