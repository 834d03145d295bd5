"""The addon's pure-Python parts, importable without Odoo: the legacy engine
(`aba_legacy_engine`), the engine shim (`aba_engine_shim`) and the ledger SQL (`aba_ledger`).

One package under one name: inside Odoo `odoo.addons.asd_aba_loyalty.aba_loyalty_lib`, outside
it `aba_loyalty_lib` (the addon directory on the path); the packages import each other
relatively, so neither name appears in them.
"""
