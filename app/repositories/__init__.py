"""Every SQL statement of the hub, one module per aggregate, scoped by caller where it reads."""
