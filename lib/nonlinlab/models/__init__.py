"""Shared model building blocks."""
