"""Use cases: validate, decide, call repositories. Services never commit (the API layer does)."""
