# Copyright 2026 ABA Retail
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "ABA Loyalty Core",
    "summary": "Points ledger, membership snapshots and the native loyalty engine for the POS",
    "version": "18.0.2.0.0",
    "category": "Sales/Point of Sale",
    "website": "https://github.com/aba-retail/aba_loyalty_core",
    "author": "ABA Retail",
    "license": "LGPL-3",
    "depends": ["point_of_sale", "pos_loyalty"],
    "data": [
        "security/ir.model.access.csv",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/aba_loyalty_point_move_views.xml",
        "views/aba_loyalty_exception_views.xml",
        "views/aba_loyalty_tier_views.xml",
        "views/aba_loyalty_membership_views.xml",
        "views/aba_loyalty_engine_log_views.xml",
        "views/aba_loyalty_consistency_views.xml",
        "views/loyalty_program_views.xml",
        "views/pos_order_views.xml",
        "views/pos_order_till_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": [
            "asd_aba_loyalty/static/src/till/**/*",
        ],
        "web.assets_tests": [
            "asd_aba_loyalty/static/tests/tours/**/*",
        ],
    },
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
}
