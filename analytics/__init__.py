"""Operator analytics over the warehouse: funnels, behaviour metrics, touchpoint results."""
