"""The bottom layer: configuration, the event contract and small shared helpers.

Everything else imports from here; nothing here imports from any other Touchstream package.
"""
