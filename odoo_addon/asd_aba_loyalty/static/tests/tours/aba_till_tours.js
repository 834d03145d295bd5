/** Tours of the till asking the loyalty engine (tests/test_till_tours.py sets the data up). */
import * as PosLoyalty from "@pos_loyalty/../tests/tours/utils/pos_loyalty_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function open() {
    return [Chrome.startPoS(), Dialog.confirm("Open Register")].flat();
}

/** A step waiting until the engine's answer for the current order is shown. */
function engineAnswered() {
    return {
        content: "the engine evaluated the current order",
        trigger: "body",
        run: async () => {
            const pos = window.posmodel;
            const state = await pos.abaTillFlush(pos.get_order());
            if (state?.status !== "ok") {
                throw new Error(`the till has no engine result: ${JSON.stringify(state)}`);
            }
        },
    };
}

// Two percentage promotions on one order: 20 % and 10 % of the base 110, not compounded.
tours.add("AbaTillTwoPromotions", {
    steps: () =>
        [
            open(),
            ProductScreen.addOrderline("ABA Item 110", "1"),
            engineAnswered(),
            PosLoyalty.hasRewardLine("ABA P1 20%", "-22.00"),
            PosLoyalty.hasRewardLine("ABA P2 10%", "-11.00"),
            PosLoyalty.orderTotalIs("77.00"),
            PosLoyalty.finalizeOrder("Cash", "77"),
        ].flat(),
});

// A fixed discount larger than what the first promotion leaves: clamped to 88, total 0.
tours.add("AbaTillClamp", {
    steps: () =>
        [
            open(),
            ProductScreen.addOrderline("ABA Item 110", "1"),
            engineAnswered(),
            PosLoyalty.hasRewardLine("ABA P1 20%", "-22.00"),
            PosLoyalty.hasRewardLine("ABA P3 fixed 100", "-88.00"),
            PosLoyalty.orderTotalIs("0.00"),
        ].flat(),
});

// Points won shown from the engine (on the base 110, not on the paid 88), then paid.
tours.add("AbaTillPointsWon", {
    steps: () =>
        [
            open(),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("ABA Till Customer"),
            ProductScreen.addOrderline("ABA Item 110", "1"),
            engineAnswered(),
            PosLoyalty.hasRewardLine("ABA P1 20%", "-22.00"),
            PosLoyalty.pointsAwardedAre("11"),
            PosLoyalty.orderTotalIs("88.00"),
            PosLoyalty.finalizeOrder("Cash", "88"),
        ].flat(),
});

// Odoo's client counts 103.5 points (price with tax) and offers the reward; the engine
// counts 90 (without tax) and refuses the 100 points it costs.
tours.add("AbaTillRedemptionRefused", {
    steps: () =>
        [
            open(),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("ABA Till Customer"),
            ProductScreen.addOrderline("ABA Item 90 taxed", "1"),
            engineAnswered(),
            PosLoyalty.claimReward("ABA Redeem 10"),
            {
                content: "the engine's refusal is shown",
                trigger: ".modal:contains('Reward refused'):contains('points requested')",
            },
            Dialog.confirm(),
            {
                content: "the refused reward line is gone",
                trigger: ".order-container:not(:has(.orderline:contains('ABA Redeem 10')))",
            },
        ].flat(),
});

// Offline: Odoo's own computation (one global discount: 22 only), the order marked.
tours.add("AbaTillOffline", {
    steps: () =>
        [
            open(),
            {
                content: "go offline",
                trigger: "body",
                run: () => {
                    window.posmodel.data.network.offline = true;
                },
            },
            ProductScreen.addOrderline("ABA Item 110", "1"),
            // Odoo's client keeps one global discount: the better one, P1.
            PosLoyalty.hasRewardLine("ABA P1 20%", "-22.00"),
            PosLoyalty.orderTotalIs("88.00"),
            {
                content: "the order is marked as computed by Odoo's code",
                trigger: "body",
                run: async () => {
                    const pos = window.posmodel;
                    const state = await pos.abaTillFlush(pos.get_order());
                    if (state?.status !== "failed" || !pos.get_order().aba_till_fallback) {
                        throw new Error(`not marked as a fallback: ${JSON.stringify(state)}`);
                    }
                },
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickNumpad("8 8"),
            {
                // Odoo's own offline queue is not under test here: the order is sent when
                // the network is back, as computed (and marked) while offline.
                content: "back online before the order is validated",
                trigger: "body",
                run: () => {
                    window.posmodel.data.network.offline = false;
                },
            },
            PaymentScreen.clickValidate(),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

// The RPC's latency from the browser over 200 changes of the order (quantity of a line).
function latencyChunk(from, count) {
    return {
        content: `order changes ${from + 1} to ${from + count}`,
        trigger: "body",
        run: async () => {
            const pos = window.posmodel;
            const order = pos.get_order();
            const line = order.get_orderlines().find((item) => !item.is_reward_line);
            for (let i = from; i < from + count; i++) {
                line.set_quantity(2 + (i % 9)); // never the quantity it had
                const state = await pos.abaTillFlush(order);
                if (state?.status !== "ok") {
                    throw new Error(`change ${i}: no engine result: ${JSON.stringify(state)}`);
                }
            }
        },
    };
}

tours.add("AbaTillLatency", {
    steps: () =>
        [
            open(),
            ProductScreen.addOrderline("ABA Item 110", "1"),
            engineAnswered(),
            {
                trigger: "body",
                run: () => {
                    Object.assign(window.posmodel.abaTill, { latencies: [], engines: {} });
                },
            },
            latencyChunk(0, 50),
            latencyChunk(50, 50),
            latencyChunk(100, 50),
            latencyChunk(150, 50),
            {
                content: "report",
                trigger: "body",
                run: () => {
                    const stats = window.posmodel.abaTillLatencyStats();
                    console.log(`ABA_TILL_LATENCY ${JSON.stringify(stats)}`);
                },
            },
        ].flat(),
});
