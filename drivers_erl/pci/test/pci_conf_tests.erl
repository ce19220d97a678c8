%% EUnit for pci_conf: mechanism 1 addresses, header fields, BARs.
-module(pci_conf_tests).
-include_lib("eunit/include/eunit.hrl").

address_test_() ->
    [?_assertEqual(16#80000000, pci_conf:address(0, 0, 0, 0)),
     ?_assertEqual(16#80010A10, pci_conf:address(1, 1, 2, 16#10)),
     ?_assertError(function_clause, pci_conf:address(0, 32, 0, 0)),
     ?_assertError(function_clause, pci_conf:address(0, 0, 0, 2))].

header_test_() ->
    [?_assertEqual(16#8086, pci_conf:vendor(16#12378086)),
     ?_assertEqual(16#1237, pci_conf:device_id(16#12378086)),
     ?_assertEqual({6, 0, 0}, pci_conf:class(16#06000002)),
     ?_assertEqual(0, pci_conf:header_type(16#00800000)),
     ?_assertEqual(true, pci_conf:multifunction(16#00800000)),
     ?_assertEqual("Host bridge", pci_conf:class_name({6, 0, 0})),
     ?_assertEqual("Class ff00", pci_conf:class_name({16#ff, 0, 0}))].

bar_test_() ->
    [?_assertEqual({io, 16#c040, false}, pci_conf:bar(16#c041, 0)),
     ?_assertEqual({mem32, 16#fd000000, true}, pci_conf:bar(16#fd000008, 0)),
     ?_assertEqual({mem64, 16#1_fe000000, true}, pci_conf:bar(16#fe00000c, 1)),
     ?_assertEqual(16, pci_conf:bar_size({io, 16#fffffff1}, 0)),
     ?_assertEqual(16#1000000, pci_conf:bar_size({mem32, 16#ff000008}, 0)),
     ?_assertEqual(16#4000, pci_conf:bar_size({mem64, 16#ffffc00c}, 16#ffffffff)),
     ?_assertEqual(0, pci_conf:bar_size({mem32, 0}, 0)),
     ?_assertEqual(0, pci_conf:bar_size({io, 0}, 0))].

ecam_offset_test_() ->
    [?_assertEqual(0, pci_conf:ecam_offset(0, 0, 0)),
     ?_assertEqual(16#FFFFC, pci_conf:ecam_offset(31, 7, 16#FFC)),
     ?_assertEqual(16#1A000 + 16#10, pci_conf:ecam_offset(3, 2, 16#10)),
     ?_assertError(function_clause, pci_conf:ecam_offset(0, 0, 4096)),
     ?_assertError(function_clause, pci_conf:ecam_offset(32, 0, 0))].
