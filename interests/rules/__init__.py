"""Domain rules as plain Python: no Flask, no database. Each rule carries its source."""
