"""The hourly feature (see feature.py): hubs sized hour by hour, by decomposition, checked by simulation."""
