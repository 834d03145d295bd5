from datetime import timedelta

from odoo import api, fields, models


class AbaLoyaltyMembership(models.Model):
    """A partner's membership history: each row is the tier a partner held over
    [evaluated_at, valid_until]. Orders take a snapshot of the row valid at their date_order."""

    _name = "aba.loyalty.membership"
    _description = "Loyalty Membership"
    _order = "evaluated_at desc, id desc"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    tier_id = fields.Many2one("aba.loyalty.tier", ondelete="restrict")
    spend = fields.Float(digits=(16, 2))
    evaluated_at = fields.Datetime(required=True)
    valid_until = fields.Datetime(required=True)

    _sql_constraints = [
        (
            "valid_window",
            "CHECK(valid_until >= evaluated_at)",
            "A membership cannot end before it starts.",
        ),
    ]

    @api.model
    def _valid_at(self, partner, when):
        """The membership of `partner` covering `when` (latest evaluation first), or empty."""
        if not partner or not when:
            return self.browse()
        return self.search(
            [
                ("partner_id", "=", partner.id),
                ("evaluated_at", "<=", when),
                ("valid_until", ">=", when),
            ],
            limit=1,
        )

    @api.model
    def _partner_spend(self, partner, as_of, days):
        """Paid POS spend of `partner` over the `days` before `as_of`."""
        orders = self.env["pos.order"].search(
            [
                ("partner_id", "=", partner.id),
                ("state", "in", ("paid", "done", "invoiced")),
                ("date_order", ">", as_of - timedelta(days=days)),
                ("date_order", "<=", as_of),
            ]
        )
        return sum(orders.mapped("amount_total"))

    @api.model
    def _evaluate_partner(self, partner, as_of=None, spend=None):
        """Evaluate `partner`'s tier through the engine and record the membership."""
        engine_model = self.env["aba.loyalty.engine"]
        as_of = as_of or fields.Datetime.now()
        days = engine_model._membership_validity_days()
        if spend is None:
            spend = self._partner_spend(partner, as_of, days)
        shim = engine_model._shim()
        snapshot = shim.evaluate_membership(partner.id, spend, as_of)
        tier = self.env["aba.loyalty.tier"].search([("code", "=", snapshot["tier"])], limit=1)
        return self.create(
            {
                "partner_id": partner.id,
                "tier_id": tier.id,
                "spend": spend,
                "evaluated_at": as_of,
                "valid_until": fields.Datetime.to_datetime(
                    snapshot["valid_until"].replace(tzinfo=None)
                ),
            }
        )

    @api.model
    def _cron_evaluate_memberships(self, batch=500):
        """Give a current membership to every loyalty-card holder whose membership expired."""
        now = fields.Datetime.now()
        partners = (
            self.env["loyalty.card"]
            .search([("program_type", "=", "loyalty"), ("partner_id", "!=", False)])
            .partner_id
        )
        current = self.search(
            [("partner_id", "in", partners.ids), ("valid_until", ">=", now)]
        ).partner_id
        for partner in (partners - current)[:batch]:
            self._evaluate_partner(partner, now)
