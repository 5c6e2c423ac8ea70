"""Operators' analytics over the warehouse: definitions compiled to SQL, run, and shaped for the CLI and UI."""
