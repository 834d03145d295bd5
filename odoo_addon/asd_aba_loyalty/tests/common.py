from datetime import datetime, timedelta

from odoo import fields
from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from ..aba_loyalty_lib import aba_legacy_engine
from ..aba_loyalty_lib.aba_engine_shim import bucket


def uid_in_bucket(low, high, prefix="uid"):
    """A uuid-like string whose rollout bucket is in [low, high)."""
    n = 0
    while True:
        candidate = f"{prefix}-{n:06d}"
        if low <= bucket(candidate) < high:
            return candidate
        n += 1


class FailingNativeModule:
    """Stands in for `aba_loyalty_core` with a native call that fails (not an input error)."""

    __version__ = aba_legacy_engine.__version__

    class Engine:
        def __init__(self, config):
            self.config = config

        def evaluate(self, order):
            raise RuntimeError("native engine exploded")

        def evaluate_many(self, orders):
            raise RuntimeError("native engine exploded")

        def evaluate_membership(self, partner_id, spend, as_of):
            raise RuntimeError("native engine exploded")


class OtherVersionNativeModule:
    """An `aba_loyalty_core` of another major.minor version than the legacy engine."""

    __version__ = "9.9.0"

    class Engine:
        def __init__(self, config):
            raise AssertionError("a mismatched version must not be used")


class SkewedNativeModule:
    """A native engine that answers with one point more than the legacy one (shadow tests)."""

    __version__ = aba_legacy_engine.__version__

    class Engine:
        def __init__(self, config):
            self._legacy = aba_legacy_engine.Engine(config)

        def evaluate(self, order):
            result = dict(self._legacy.evaluate(order), engine="native")
            if result["points"]:
                result["points"] = dict(result["points"], earned=result["points"]["earned"] + 1)
            return result

        def evaluate_membership(self, partner_id, spend, as_of):
            return self._legacy.evaluate_membership(partner_id, spend, as_of)


class AbaLoyaltyCase(TestPoSCommon):
    """A POS session, one loyalty program of 0.1 point per currency unit (money rule) with a
    per-point discount reward, a partner holding a card of it, and products at 100 and 30."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        icp = cls.env["ir.config_parameter"].sudo()
        icp.set_param("asd_aba_loyalty.use_rust_engine", "False")
        icp.set_param("asd_aba_loyalty.shadow_mode", "False")
        # Programs from demo data are not part of these scenarios.
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "ABA Points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "pos_ok": True,
                "pos_config_ids": [(6, 0, cls.config.ids)],
                "rule_ids": [
                    (
                        0,
                        0,
                        {
                            "reward_point_mode": "money",
                            "reward_point_amount": 0.1,
                            "minimum_qty": 0,
                        },
                    )
                ],
                "reward_ids": [
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_point",
                            "discount": 1,
                            "discount_applicability": "order",
                            "required_points": 1,
                        },
                    )
                ],
            }
        )
        cls.reward = cls.program.reward_ids
        cls.partner = cls.env["res.partner"].create({"name": "Loyal Customer"})
        cls.card = cls.env["loyalty.card"].create(
            {"program_id": cls.program.id, "partner_id": cls.partner.id, "points": 0}
        )
        cls.product_a = cls.create_product("Shirt", cls.categ_basic, 100.0)
        cls.product_b = cls.create_product("Socks", cls.categ_basic, 30.0)
        cls.moves = cls.env["aba.loyalty.point.move"]

    def setUp(self):
        super().setUp()
        self.open_new_session()

    # -- helpers ---------------------------------------------------------------------------

    def set_flag(self, on, shadow=False):
        icp = self.env["ir.config_parameter"].sudo()
        icp.set_param("asd_aba_loyalty.use_rust_engine", "True" if on else "False")
        icp.set_param("asd_aba_loyalty.shadow_mode", "True" if shadow else "False")

    def order_data(self, lines, partner=None, uid=None, date_order=None, reward_points=0.0):
        data = self.create_ui_order_data(lines, customer=partner or self.partner, uuid=uid)
        if reward_points:
            line = self.reward_line(reward_points)
            data["lines"].append(line)
            data["amount_total"] += line[2]["price_subtotal_incl"]
            data["amount_paid"] = data["amount_total"]
            data["payment_ids"][0][2]["amount"] = data["amount_total"]
        if date_order:
            data["date_order"] = fields.Datetime.to_string(date_order)
        return data

    def reward_line(self, points):
        """A per-point discount line as the POS sends it (1 currency unit per point)."""
        return (
            0,
            0,
            {
                "product_id": self.reward.discount_line_product_id.id,
                "price_unit": -points,
                "qty": 1,
                "price_subtotal": -points,
                "price_subtotal_incl": -points,
                "is_reward_line": True,
                "reward_id": self.reward.id,
                "coupon_id": self.card.id,
                "points_cost": points,
                "reward_identifier_code": "r1",
                "tax_ids": [(6, 0, [])],
            },
        )

    def sync(self, data):
        result = self.env["pos.order"].sync_from_ui([data])
        order_ids = [o["id"] for o in result["pos.order"]]
        return self.env["pos.order"].browse(order_ids)

    def pay(self, lines, **kwargs):
        data = self.order_data(lines, **kwargs)
        order = self.sync(data)
        self.assertEqual(order.state, "paid")
        return order, data

    def refund_data(self, order, qty_per_line):
        lines = []
        for line, qty in zip(order.lines.filtered(lambda ln: not ln.is_reward_line),
                             qty_per_line, strict=False):
            if qty:
                lines.append(
                    {"product": line.product_id, "quantity": -qty,
                     "refunded_orderline_id": line.id}
                )
        return self.order_data(lines, partner=order.partner_id)

    def card_moves(self, card=None, kind=None):
        domain = [("card_id", "=", (card or self.card).id)]
        if kind:
            domain.append(("kind", "=", kind))
        return self.moves.search(domain)

    def assertConsistent(self):
        report = self.moves._check_consistency()
        self.assertTrue(report.consistent, report.discrepancies)

    @staticmethod
    def days_ago(days):
        return datetime.now().replace(microsecond=0) - timedelta(days=days)
