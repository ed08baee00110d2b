"""The economics feature (see feature.py)."""
