defmodule HelloEx.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args), do: Supervisor.start_link([HelloEx], strategy: :one_for_one, name: HelloEx.Supervisor)
end
