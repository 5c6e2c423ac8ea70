"""Touchstream: streaming clickstream analytics and in-app precision marketing."""
