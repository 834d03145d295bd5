import logging

from .lib.aba_ledger import drop_card_check, ensure_card_check, post_opening_moves

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Start the ledger equal to the cache: one `opening` move per existing card, then the CHECK
    (points >= 0) on loyalty_card."""
    env.flush_all()
    result = post_opening_moves(env.cr, env.uid)
    if result["repaired_negative"]:
        # Balances the old read-modify-write flow took below zero; each repair is an `adjust`
        # move in the ledger.
        _logger.warning(
            "asd_aba_loyalty: %d loyalty card(s) had a negative balance, set to 0 by an adjust "
            "move: %s", len(result["repaired_negative"]), result["repaired_negative"])
    ensure_card_check(env.cr)
    env["loyalty.card"].invalidate_model(["points"])
    _logger.info("asd_aba_loyalty: %d opening move(s) written", result["opened"])


def uninstall_hook(env):
    """Leave Odoo's loyalty_card as it was: without the addon's CHECK constraint."""
    drop_card_check(env.cr)
