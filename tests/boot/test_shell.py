"""The Erlang shell on the console evaluates terms: arithmetic, bignums,
binaries, maps, list comprehensions, strings and atoms, exceptions (caught,
with their stack trace, and uncaught: the shell goes on), system_info; and
`halt().` powers the machine off. One boot; see shell.py for how a reply is
told apart from the echo of what was typed."""
import math
import unittest

from shell import ShellTestCase


class ShellTerms(ShellTestCase):
    NAME = "shell-terms"

    def test_arithmetic(self):
        self.check("1000+1000.", "2000")
        self.check("{7 div 2, 7 rem 2, -17 rem 5, 10 / 4, 2 * (3 + 4) - 1}.", "{3,1,-2,2.5,13}")
        self.check("{math:sqrt(2), round(2.5), trunc(-2.7), 2.0e10 * 3}.",
                   "{1.4142135623730951,3,-2,6.0e10}")
        self.check("{16#ff band 16#0f, 1 bsl 10, -1 bsr 3, 5 bxor 3}.", "{15,1024,-1,6}")

    def test_bignums(self):
        self.check("lists:foldl(fun(N, A) -> N * A end, 1, lists:seq(1, 100)).",
                   str(math.factorial(100)))
        self.check("2 bsl 200.", str(2 << 200))
        self.check("(1 bsl 130 + 7) rem 1000000007.", str(((1 << 130) + 7) % 1000000007))
        self.check("-(1 bsl 70) * 3 div 7.", str(-((3 << 70) // 7)))  # div truncates toward zero
        self.check("integer_to_list(1 bsl 100, 16).", '"1%s"' % ("0" * 25))

    def test_binaries(self):
        self.check('B = <<1, 2, 3:16, "ab">>.', "<<1,2,0,3,97,98>>")
        self.check("{byte_size(B), bit_size(B), binary_to_list(B)}.", "{6,48,[1,2,0,3,97,98]}")
        self.check("<<X:8, Y:16/big, Rest/binary>> = B, {X, Y, Rest}.", "{1,512,<<3,97,98>>}")
        self.check("<<Hi:4, Lo:4>> = <<16#5C>>, {Hi, Lo, <<258:16/little>>, bit_size(<<1:3>>)}.",
                   "{5,12,<<2,1>>,3}")
        self.check("<<F:64/float>> = <<1.5:64/float>>, F.", "1.5")
        self.check("<< <<(V * 2)>> || <<V>> <= <<1, 2, 3>> >>.", "<<2,4,6>>")
        self.check('binary_to_list(<<"hydros">>).', '"hydros"')

    def test_maps(self):
        self.check("M = #{a => 1, b => 2}.", "#{a => 1,b => 2}")
        self.check("M2 = M#{c => 3, a := 10}.", "#{a => 10,b => 2,c => 3}")
        self.check("{maps:get(b, M2), maps:get(z, M2, none), maps:is_key(c, M), map_size(M2)}.",
                   "{2,none,false,3}")
        self.check("maps:fold(fun(K, V, Acc) -> [{K, V} | Acc] end, [], M2).",
                   "[{c,3},{b,2},{a,10}]")
        self.check("maps:map(fun(_, V) -> V * 2 end, M2).", "#{a => 20,b => 4,c => 6}")
        # Past 32 keys a map is a hash trie, not a sorted array.
        self.check("Big = maps:from_list([{N, N * N} || N <- lists:seq(1, 1000)]), "
                   "{map_size(Big), maps:get(777, Big), lists:sum(maps:values(Big))}.",
                   "{1000,603729,%d}" % sum(n * n for n in range(1, 1001)))
        self.check("try M#{zz := 1} catch error:E -> E end.", "{badkey,zz}")

    def test_list_comprehensions(self):
        self.check("[X * X || X <- lists:seq(1, 10), X rem 2 =:= 0].", "[4,16,36,64,100]")
        self.check("[{X, Y} || X <- [1, 2, 3], Y <- [a, b], X =/= 2].",
                   "[{1,a},{1,b},{3,a},{3,b}]")
        self.check("lists:sum([X || X <- lists:seq(1, 1000), X rem 3 =:= 0 orelse X rem 5 =:= 0]).",
                   str(sum(x for x in range(1, 1001) if x % 3 == 0 or x % 5 == 0)))

    def test_strings_and_atoms(self):
        self.check('{string:uppercase("hydros"), lists:reverse("olleh"), "ab" ++ "cd"}.',
                   '{"HYDROS","hello","abcd"}')
        self.check('string:split("a,b,,c", ",", all).', '["a","b",[],"c"]')
        self.check('{atom_to_list(hello), list_to_atom("wor" ++ "ld"), binary_to_atom(<<"x y">>)}.',
                   "{\"hello\",world,'x y'}")
        self.check('lists:flatten(io_lib:format("~p|~s|~5.2f|~8.16.0B", [{a, "b"}, "c", 3.14159, 255])).',
                   '"{a,\\"b\\"}|c| 3.14|000000FF"')
        self.check('{string:to_integer("42abc"), list_to_integer("-17"), integer_to_list(255, 2)}.',
                   '{{42,"abc"},-17,"11111111"}')

    def test_caught_exceptions(self):
        self.check("catch throw(ball).", "ball")
        self.check("catch exit(bye).", "{'EXIT',bye}")
        self.check("try 1/0 catch C:R:S -> {C, R, is_list(S)} end.", "{error,badarith,true}")
        # The stack trace names the function that failed, with its arguments.
        self.check("try lists:nth(0, [a]) catch error:function_clause:St -> "
                   "{M, F, A, _} = hd(St), {M, F, A} end.", "{lists,nth,[0,[a]]}")
        self.check("try error(my_bug) catch error:my_bug:Trace -> "
                   "[{Mod, Fun} || {Mod, Fun, _, _} <- Trace] end.",
                   "[{shell,apply_fun},\n {erl_eval,do_apply},\n {erl_eval,try_clauses},\n"
                   " {shell,exprs},\n {shell,eval_exprs},\n {shell,eval_loop}]")

    def test_uncaught_exceptions(self):
        self.check("Before = self(), V = 41.", "41")
        self.check("1/0.", "** exception error: an error occurred when evaluating an arithmetic "
                   "expression\n     in operator  '/'/2\n        called as 1 / 0")
        self.check("throw(ball).", "** exception throw: ball")
        self.check("exit(bye).", "** exception exit: bye")
        # The shell goes on with a new evaluator process and the same bindings.
        self.check("{V + 1, self() =:= Before, is_process_alive(Before)}.", "{42,false,false}")

    def test_system_info(self):
        self.check("[erlang:system_info(K) || K <- [otp_release, version, schedulers, "
                   "schedulers_online, wordsize, emu_flavor, system_architecture]].",
                   '["25","13.1.5",1,1,8,emu,"x86_64-pc-linux-musl"]')

    # unittest runs the methods in name order: this one must come last.
    def test_zz_halt_powers_off(self):
        self.check("1+2.", "3")
        self.assertEqual(self.sh.halt(), 0)


if __name__ == "__main__":
    unittest.main()
