"""Offline datasets and generators shared by chapters."""
