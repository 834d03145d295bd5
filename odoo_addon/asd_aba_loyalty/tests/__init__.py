from . import (
    test_coexistence,
    test_discounts,
    test_engine_cache,
    test_engine_routing,
    test_intended_differences,
    test_ledger,
    test_membership,
    test_pos_flow,
    test_till_rpc,
    test_till_tours,
)
