/** The till shows the engine's result: the POS order's side (see till_store.js).
 *
 * With a current engine result for the order's lines (`abaTillResult()`), the discount reward
 * lines of the rewards the engine computes carry the engine's amounts (one line per tax group
 * of the lines it allocated them to) and the loyalty points shown are the engine's. Without
 * one (flag off, another rollout path, offline, a result for other lines), Odoo's own code
 * runs unchanged.
 */
// pos_loyalty's own patch first: ours wraps it.
import "@pos_loyalty/overrides/models/pos_order";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { patch } from "@web/core/utils/patch";

function newRewardCode() {
    return (Math.random() + 1).toString(36).substring(3);
}

patch(PosOrder.prototype, {
    /** What the backend evaluates: the regular lines, the reward lines (redemptions and
     * product rewards), the partner and the managed loyalty card the order uses. */
    abaTillRequest() {
        const regular = this.lines.filter((line) => !line.is_reward_line);
        const rewardLines = this.lines.filter((line) => line.is_reward_line && line.reward_id);
        return {
            uuid: this.uuid,
            partner_id: this.partner_id?.id || false,
            fiscal_position_id: this.fiscal_position_id?.id || false,
            lines: regular.map((line) => ({
                uuid: line.uuid,
                product_id: line.product_id.id,
                qty: line.qty,
                price_unit: line.price_unit,
                discount: line.discount || 0,
                tax_ids: line.tax_ids.map((tax) => tax.id),
                // A combo's items: the engine sees the combo as one line.
                combo_parent_uuid: line.combo_parent_id?.uuid || false,
            })),
            reward_lines: rewardLines
                .filter(
                    (line) =>
                        line.reward_id.reward_type === "product" ||
                        (line.coupon_id?.id > 0 && line.points_cost > 0)
                )
                .map((line) => ({
                    reward_id: line.reward_id.id,
                    coupon_id: line.coupon_id?.id || false,
                    product_id: line.product_id.id,
                    qty: line.qty,
                    points_cost: line.points_cost || 0,
                })),
            card: this.abaTillCard(),
        };
    },
    /** The loyalty card whose points the order changes (a program of type loyalty). */
    abaTillCard() {
        for (const change of Object.values(this.uiState.couponPointChanges || {})) {
            const program = this.models["loyalty.program"].get(change.program_id);
            if (program?.program_type === "loyalty") {
                return { id: change.coupon_id, program_id: program.id };
            }
        }
        return null;
    },
    /** The part of the request an engine result is valid for: lines and partner. */
    abaTillLinesKey() {
        const request = this.abaTillRequest();
        return JSON.stringify([request.partner_id, request.lines, request.fiscal_position_id]);
    },
    /** The engine's result if it is the current order's, else null. */
    abaTillResult() {
        const state = this._abaTill;
        if (!state || state.status !== "ok" || state.linesKey !== this.abaTillLinesKey()) {
            return null;
        }
        return state.result;
    },
    abaTillManages(reward) {
        const result = this.abaTillResult();
        return Boolean(
            result &&
                result.managed_reward_ids.includes(reward.id) &&
                !["ewallet", "gift_card"].includes(reward.program_id.program_type)
        );
    },
    /** Odoo keeps one "global" discount per order; the engine applies every program reward
     * its rules allow, in priority, on the base prices: the rewards it manages are not
     * global discounts for that rule. */
    _getGlobalDiscountLines() {
        const lines = super._getGlobalDiscountLines(...arguments);
        return lines.filter((line) => !this.abaTillManages(line.reward_id));
    },
    _getRewardLineValuesDiscount(args) {
        const odooLines = super._getRewardLineValuesDiscount(...arguments);
        const reward = args.reward;
        if (!Array.isArray(odooLines) || !this.abaTillManages(reward)) {
            return odooLines;
        }
        const result = this.abaTillResult();
        const discount = result.discounts.find((item) => item.reward_id === reward.id);
        if (!discount && reward.program_id.program_type === "loyalty") {
            // A redemption the cashier just picked: Odoo's line until the engine has
            // evaluated it (its amount, or its refusal).
            return odooLines;
        }
        if (!discount || !(discount.amount > 0)) {
            return [];
        }
        // The engine's allocation, grouped by the taxes of the lines it went to. A combo's
        // share is spread over its items (they carry the prices and the taxes), except for a
        // discount on the cheapest line, which Odoo's client taxes as the combo's own line.
        const perTax = new Map();
        const add = (taxes, amount) => {
            const key = taxes
                .map((tax) => tax.id)
                .sort((a, b) => a - b)
                .join(",");
            const group = perTax.get(key) || { taxes, amount: 0 };
            group.amount += amount;
            perTax.set(key, group);
        };
        for (const [uuid, amount] of Object.entries(discount.lines)) {
            const line = this.lines.find((item) => item.uuid === uuid);
            const items =
                reward.discount_applicability === "cheapest" ? [] : line?.combo_line_ids || [];
            const weights = items.map(
                (item) => item.price_unit * item.qty * (1 - (item.discount || 0) / 100)
            );
            const total = weights.reduce((sum, weight) => sum + weight, 0);
            if (!(total > 0)) {
                add(line ? line.tax_ids : [], amount);
                continue;
            }
            items.forEach((item, i) => add(item.tax_ids, (amount * weights[i]) / total));
        }
        const redeemed = result.points?.redeemed.find((item) => item.reward_id === reward.id);
        const pointsCost = redeemed
            ? redeemed.points
            : odooLines[0]?.points_cost ?? reward.required_points;
        const code = odooLines[0]?.reward_identifier_code || newRewardCode();
        const lines = [...perTax.values()]
            .filter((group) => group.amount > 0)
            .map((group) => ({
                product_id: reward.discount_line_product_id,
                price_unit: -group.amount,
                qty: 1,
                reward_id: reward,
                is_reward_line: true,
                coupon_id: args.coupon_id,
                points_cost: 0,
                reward_identifier_code: code,
                tax_ids: group.taxes,
            }));
        if (lines.length) {
            lines[0].points_cost = pointsCost;
        }
        return lines;
    },
    getLoyaltyPoints() {
        const stats = super.getLoyaltyPoints(...arguments);
        const points = this.abaTillResult()?.points;
        if (!points) {
            return stats;
        }
        for (const stat of stats) {
            if (stat.program.id === points.program_id) {
                stat.points.won = points.earned;
                stat.points.spent = points.spent;
                stat.points.total = points.balance_after;
            }
        }
        return stats;
    },
});
