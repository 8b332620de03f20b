"""Root query resolvers: thin — parse arguments, call one service, shape the output."""
