"""Briefings: what an analyst looked at (the view state), saved so that it can be shown again exactly."""
