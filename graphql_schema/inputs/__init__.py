"""GraphQL input types and filters."""
