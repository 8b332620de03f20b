"""GraphQL output types: built from repository rows, never from table models."""
