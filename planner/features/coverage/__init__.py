"""The coverage feature (see feature.py)."""
