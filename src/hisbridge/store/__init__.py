"""The gateway's own store: SQLite (WAL) by default, PostgreSQL in production."""
