"""Operational tools: demo data, synthetic data, backup and restore, copying a database."""
