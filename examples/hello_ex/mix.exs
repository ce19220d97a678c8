# A small Elixir release for HydrOS: `MIX_ENV=prod mix release`, then
# `make image ELIXIR=1 REL=$PWD/_build/prod/rel/hello_ex` (docs/elixir.md).
defmodule HelloEx.MixProject do
  use Mix.Project

  def project do
    [
      app: :hello_ex,
      version: "0.1.0",
      elixir: "~> 1.14",
      deps: [],
      releases: [hello_ex: [include_erts: false, include_executables_for: []]]
    ]
  end

  def application do
    [mod: {HelloEx.Application, []}, extra_applications: [:logger]]
  end
end
