from . import (
    aba_loyalty_consistency,
    aba_loyalty_engine,
    aba_loyalty_engine_difference,
    aba_loyalty_engine_fallback,
    aba_loyalty_membership,
    aba_loyalty_point_move,
    aba_loyalty_tier,
    loyalty_card,
    loyalty_program,
    pos_config,
    pos_order,
    res_config_settings,
)
