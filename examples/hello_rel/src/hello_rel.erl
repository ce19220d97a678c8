%% The greeter: says its greeting (sys.config's hello_rel greeting) and
%% the node it runs on.
-module(hello_rel).
-behaviour(gen_server).
-export([start_link/0, greet/0]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% {Greeting, Node}
greet() ->
    gen_server:call(?MODULE, greet).

init([]) ->
    {ok, Greeting} = application:get_env(hello_rel, greeting),
    {ok, Greeting}.

handle_call(greet, _From, Greeting) ->
    {reply, {Greeting, node()}, Greeting}.

handle_cast(_Msg, Greeting) ->
    {noreply, Greeting}.
