"""Services own the writes: routes call these typed functions and never touch the session."""
