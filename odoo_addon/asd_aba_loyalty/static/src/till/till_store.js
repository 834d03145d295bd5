/** The till shows the engine's result: the POS store's side.
 *
 * When the POS config says the till asks the engine (`aba_till_engine`: the native engine is
 * on and this POS routes orders to it), each change of the current order schedules one
 * evaluation (debounced: one RPC per burst of changes) by `pos.order.aba_till_evaluate`.
 * The answer is kept on the order with the lines it is for, and the reward lines are
 * recomputed from it (till_order.js). An order whose rollout bucket is not the native path
 * keeps Odoo's computation. A redemption the engine refuses is taken off the order with the
 * engine's message. Offline, an RPC error or a timeout: the order is marked
 * (`aba_till_fallback`, sent with the order) and Odoo's own computation stands; the server
 * evaluates it at sync.
 */
// pos_loyalty's own patch first: ours wraps it.
import "@pos_loyalty/overrides/models/pos_store";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

export const ABA_TILL_DEBOUNCE_MS = 150;
export const ABA_TILL_TIMEOUT_MS = 5000;

class TillTimeout extends Error {}

function withTimeout(promise, ms) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new TillTimeout(`no answer in ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

patch(PosStore.prototype, {
    async setup() {
        this.abaTill = { timer: null, running: null, latencies: [], failures: 0, engines: {} };
        await super.setup(...arguments);
    },
    abaTillEnabled() {
        return Boolean(this.config?.aba_till_engine);
    },
    updateRewards() {
        const result = super.updateRewards(...arguments);
        this.abaTillSchedule();
        return result;
    },
    async updateOrder(order) {
        const result = await super.updateOrder(...arguments);
        this.abaTillSchedule();
        return result;
    },
    /** One evaluation after the burst of changes has settled. */
    abaTillSchedule() {
        if (!this.abaTillEnabled()) {
            return;
        }
        const order = this.get_order();
        if (!order || order.finalized) {
            return;
        }
        clearTimeout(this.abaTill.timer);
        this.abaTill.timer = setTimeout(() => {
            this.abaTill.timer = null;
            this.abaTillEvaluate(order);
        }, ABA_TILL_DEBOUNCE_MS);
    },
    /** Evaluate now whatever is pending (before payment, after a redemption). */
    async abaTillFlush(order, { retryFailed = true } = {}) {
        clearTimeout(this.abaTill.timer);
        this.abaTill.timer = null;
        return await this.abaTillEvaluate(order, {
            force: retryFailed && order._abaTill?.status === "failed",
        });
    },
    async abaTillEvaluate(order, { force = false } = {}) {
        if (!this.abaTillEnabled() || !order || order.finalized) {
            return order?._abaTill;
        }
        const request = order.abaTillRequest();
        const key = JSON.stringify(request);
        const linesKey = order.abaTillLinesKey();
        const state = order._abaTill;
        if (!force && state && state.key === key) {
            return state;
        }
        if (this.abaTill.running && this.abaTill.running.key === key && !force) {
            return this.abaTill.running.promise;
        }
        const promise = this._abaTillCall(order, request, key, linesKey);
        this.abaTill.running = { key, promise };
        try {
            return await promise;
        } finally {
            if (this.abaTill.running?.promise === promise) {
                this.abaTill.running = null;
            }
        }
    },
    async _abaTillCall(order, request, key, linesKey) {
        const started = performance.now();
        let response;
        try {
            response = await withTimeout(
                this.data.call("pos.order", "aba_till_evaluate", [this.config.id, request]),
                ABA_TILL_TIMEOUT_MS
            );
        } catch (error) {
            this.abaTill.failures++;
            if (JSON.stringify(order.abaTillRequest()) === key) {
                // Odoo's own computation stands; the server evaluates the order at sync.
                order._abaTill = { key, linesKey, status: "failed", error: String(error) };
                order.aba_till_fallback = true;
                order._updateRewardLines();
            }
            return order._abaTill;
        }
        this.abaTill.latencies.push(performance.now() - started);
        const engine = response.engine || response.path;
        this.abaTill.engines[engine] = (this.abaTill.engines[engine] || 0) + 1;
        if (JSON.stringify(order.abaTillRequest()) !== key) {
            // The order changed meanwhile: its new state is evaluated instead.
            this.abaTillSchedule();
            return order._abaTill;
        }
        if (response.path !== "native") {
            order._abaTill = { key, linesKey, status: "inert", path: response.path };
            return order._abaTill;
        }
        if (response.refused && !request.reward_lines.some((line) => line.points_cost > 0)) {
            // Refused without a redemption to take off: Odoo's computation stands, and the
            // server evaluates the order at sync (it never refuses a paid order).
            order._abaTill = { key, linesKey, status: "failed", error: response.refused };
            order.aba_till_fallback = true;
            order._updateRewardLines();
            return order._abaTill;
        }
        order.aba_till_fallback = false;
        if (response.refused) {
            order._abaTill = { key, linesKey, status: "refused", message: response.refused };
            this.abaTillRefuse(order, response.refused);
            return order._abaTill;
        }
        order._abaTill = { key, linesKey, status: "ok", result: response };
        order._updateRewardLines();
        // Rewards Odoo's client did not claim (a second promotion on the order) are claimed
        // now that the engine says they apply.
        this.updateRewards();
        // The reward lines now carry the engine's numbers (a redemption's points cost
        // included): what the backend would see next is evaluated once more, at most.
        const after = JSON.stringify(order.abaTillRequest());
        if (after !== key) {
            order._abaTill = { ...order._abaTill, key: after };
        }
        return order._abaTill;
    },
    /** The engine refuses the order with its redemptions: they are taken off, the cashier
     * sees why, and the rest of the order is evaluated again. */
    abaTillRefuse(order, message) {
        for (const line of order._get_reward_lines()) {
            const program = line.reward_id?.program_id;
            if (line.coupon_id?.id > 0 && line.points_cost > 0 && program?.program_type === "loyalty") {
                line.delete();
            }
        }
        this.dialog.add(AlertDialog, { title: _t("Reward refused"), body: message });
        this.abaTillSchedule();
    },
    async pay() {
        const order = this.get_order();
        if (this.abaTillEnabled() && order && !order.finalized) {
            // The order is paid on the engine's numbers: nothing left unevaluated.
            const state = await this.abaTillFlush(order);
            if (state?.status === "refused") {
                return; // the cashier has the engine's message; the order changed
            }
        }
        return await super.pay(...arguments);
    },
    /** p50/p99 of the RPC latencies measured in this browser (ms). */
    abaTillLatencyStats() {
        const sorted = [...this.abaTill.latencies].sort((a, b) => a - b);
        const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
        return {
            n: sorted.length,
            failures: this.abaTill.failures,
            engines: this.abaTill.engines,
            p50: sorted.length ? at(0.5) : null,
            p99: sorted.length ? at(0.99) : null,
            max: sorted.length ? sorted[sorted.length - 1] : null,
        };
    },
});
