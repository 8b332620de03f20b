"""Apprenticeship data hub: runtime, domain rules and persistence (no GraphQL here)."""
