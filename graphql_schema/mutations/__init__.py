"""Root mutation resolvers: thin — parse input, call one service, shape the output."""
