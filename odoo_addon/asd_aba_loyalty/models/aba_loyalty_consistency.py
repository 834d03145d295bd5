from odoo import api, fields, models
from odoo.tools import SQL

from ..aba_loyalty_lib.aba_ledger import MOVE_TABLE


class AbaLoyaltyConsistency(models.Model):
    """Read-only report: per card that has ledger moves, the cached balance against the ledger
    sum (Odoo's own coupons, gift cards and eWallets have no moves and are not listed)."""

    _name = "aba.loyalty.consistency"
    _description = "Loyalty Ledger Consistency"
    _auto = False
    _order = "card_id"

    card_id = fields.Many2one("loyalty.card", readonly=True)
    program_id = fields.Many2one("loyalty.program", readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True)
    cache_points = fields.Float(digits=(16, 6), readonly=True)
    ledger_points = fields.Float(digits=(16, 6), readonly=True)
    difference = fields.Float(digits=(16, 6), readonly=True)
    consistent = fields.Boolean(readonly=True)

    @property
    def _table_query(self):
        # A query, not a view: no dependency on the order in which the tables are created.
        return SQL(
            """
            SELECT c.id AS id, c.id AS card_id, c.program_id, c.partner_id,
                   COALESCE(c.points, 0) AS cache_points,
                   COALESCE(m.total, 0)::float8 AS ledger_points,
                   (COALESCE(c.points, 0)::numeric - COALESCE(m.total, 0))::float8 AS difference,
                   round(COALESCE(c.points, 0)::numeric, 6) = round(COALESCE(m.total, 0), 6)
                       AS consistent
              FROM loyalty_card c
              JOIN (SELECT card_id, SUM(points) AS total FROM %s
                          GROUP BY card_id) m ON m.card_id = c.id
            """,
            SQL.identifier(MOVE_TABLE),
        )

    @api.model
    def _cron_check_consistency(self):
        """Log every card whose cache differs from its ledger sum."""
        report = self.env["aba.loyalty.point.move"]._check_consistency()
        if not report.consistent:
            bad = [(d.card_id, str(d.cache), str(d.ledger)) for d in report.discrepancies[:20]]
            self.env["ir.logging"].sudo().create(
                {
                    "name": "asd_aba_loyalty.consistency",
                    "type": "server",
                    "level": "ERROR",
                    "dbname": self.env.cr.dbname,
                    "message": (
                        f"{len(report.discrepancies)} of {report.cards} loyalty card(s) differ "
                        f"from their ledger (card, cache, ledger): {bad}"
                    ),
                    "path": "asd_aba_loyalty",
                    "func": "_cron_check_consistency",
                    "line": "0",
                }
            )
        return report
