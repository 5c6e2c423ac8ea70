"""The PyFlink streaming job: event log -> SQL (parse, dedup, metrics) -> tag engine -> outputs."""
