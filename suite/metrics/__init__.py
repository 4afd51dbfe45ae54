"""Scores of trained generators."""
