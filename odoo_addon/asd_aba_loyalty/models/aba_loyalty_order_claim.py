from odoo import api, fields, models


class AbaLoyaltyOrderClaim(models.Model):
    """One row per POS order uuid ever synced: the claim that makes an order sent twice at the
    same moment (an offline till re-sending while its first request still runs) one order.

    `pos.order.sync_from_ui` looks the uuid up, then creates the order: two requests running at
    once both miss it and Odoo creates it twice. Each request first inserts the uuid's claim
    (`ON CONFLICT DO NOTHING`); the second one waits for the first to commit and then, under
    Odoo's REPEATABLE READ, fails with a serialization failure, which Odoo retries with a new
    snapshot: the retry finds the order and leaves it as it is."""

    _name = "aba.loyalty.order.claim"
    _description = "POS Order Sync Claim"
    _log_access = False
    _rec_name = "uuid"

    uuid = fields.Char(required=True, readonly=True)
    claimed_at = fields.Datetime(readonly=True, default=fields.Datetime.now)

    _sql_constraints = [("uuid_unique", "UNIQUE(uuid)", "This order is already claimed.")]

    @api.model
    def _claim(self, uuids):
        uuids = sorted({u for u in uuids if u})
        if uuids:
            self.env.cr.execute(
                "INSERT INTO aba_loyalty_order_claim (uuid, claimed_at) "
                "SELECT u, now() AT TIME ZONE 'UTC' FROM unnest(%s::varchar[]) AS u "
                "ON CONFLICT (uuid) DO NOTHING",
                (uuids,),
            )

    @api.model
    def _purge(self, days=7):
        """Forget old claims: a claim only matters while two requests for its order may still
        run at once (a later re-send finds the order itself)."""
        self.env.cr.execute(
            "DELETE FROM aba_loyalty_order_claim "
            "WHERE claimed_at < (now() AT TIME ZONE 'UTC') - make_interval(days => %s)",
            (days,),
        )
        return self.env.cr.rowcount
