"""The event collector: validates, enriches and durably logs tracked events."""
