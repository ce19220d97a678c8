import Config

config :hello_ex, greeting: "hello from Elixir"
# The cores whose nodes start the release (every node has it loaded).
config :hydros, nodes: [0, 1]
