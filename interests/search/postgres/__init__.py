"""The PostgreSQL engine of the national path: search tables in the register's own database,
written in the same transaction as the change they index (``PostgresBackend``)."""

from interests.search.postgres.backend import PostgresBackend

__all__ = ["PostgresBackend"]
