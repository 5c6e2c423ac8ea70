"""Server backend: a ClickHouse server over the native protocol (clickhouse-driver)."""
