"""Operator analytics: definitions compiled to SQL over the warehouse, run, and shaped into results."""
