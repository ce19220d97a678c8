defmodule HelloEx do
  @moduledoc "A greeter in Elixir: its greeting from the release's config, on every node that runs it."
  use GenServer

  def start_link(_), do: GenServer.start_link(__MODULE__, nil, name: __MODULE__)

  @doc "{greeting, node}"
  def greet, do: GenServer.call(__MODULE__, :greet)

  @impl true
  def init(nil), do: {:ok, Application.fetch_env!(:hello_ex, :greeting)}

  @impl true
  def handle_call(:greet, _from, greeting), do: {:reply, {greeting, node()}, greeting}
end
