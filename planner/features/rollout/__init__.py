"""The rollout feature (see feature.py)."""
