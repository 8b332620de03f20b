"""The GraphQL surface of the hub (strawberry): types, inputs, resolvers, permissions."""
