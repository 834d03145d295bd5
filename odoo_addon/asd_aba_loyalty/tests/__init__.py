from . import (
    test_discounts,
    test_engine_cache,
    test_engine_routing,
    test_ledger,
    test_membership,
    test_pos_flow,
)
