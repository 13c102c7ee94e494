// A sale to a paid invoice through Millbook's API with the generated types and openapi-fetch:
// customer -> quotation with a line -> send -> accept -> order -> start-production -> ship
// -> complete -> billing's invoice -> send -> payment -> paid. Prints one JSON line.
//
//   MILLBOOK_BASE_URL=http://127.0.0.1:8000 MILLBOOK_TOKEN=<access token> node dist/flow.js
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema.js";

const baseUrl = process.env.MILLBOOK_BASE_URL ?? "http://127.0.0.1:8000";
const token = process.env.MILLBOOK_TOKEN;
if (!token) throw new Error("set MILLBOOK_TOKEN to an access token (POST /v1/auth/login)");

const client = createClient<paths>({ baseUrl });
const auth: Middleware = {
  onRequest({ request }) {
    request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};
client.use(auth);

/** The `data` of a successful answer; an error envelope becomes an exception. */
function ok<T>(answer: { data?: { data: T }; error?: unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`${answer.response.status}: ${JSON.stringify(answer.error)}`);
  }
  return answer.data.data;
}

async function main(): Promise<void> {
  const customer = ok(
    await client.POST("/v1/customers", {
      body: { name: "Kestrel Pumps", primary_email: "ap@kestrel.example.com" },
    }),
  );
  const quotation = ok(
    await client.POST("/v1/quotations", {
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
      body: {
        customer_id: customer.id,
        line_items: [
          { product_name: "Flange, 6061", quantity: 4, unit_price: "25.00", tax_rate: "0.10" },
        ],
      },
    }),
  );
  const byQuotation = { params: { path: { quotation_id: quotation.id } } };
  ok(await client.POST("/v1/quotations/{quotation_id}/send", byQuotation));
  ok(await client.POST("/v1/quotations/{quotation_id}/accept", byQuotation));

  let order = ok(await client.POST("/v1/orders", { body: { quotation_id: quotation.id } }));
  const byOrder = { params: { path: { order_id: order.id } } };
  order = ok(await client.POST("/v1/orders/{order_id}/start-production", byOrder));
  order = ok(await client.POST("/v1/orders/{order_id}/ship", byOrder));
  order = ok(await client.POST("/v1/orders/{order_id}/complete", byOrder));

  const invoice = await invoiceOf(customer.id, order.id);
  const byInvoice = { params: { path: { invoice_id: invoice.id } } };
  const sent = ok(await client.POST("/v1/invoices/{invoice_id}/send", byInvoice));
  const total = String(sent.total_amount);
  ok(
    await client.POST("/v1/payments", {
      body: {
        payment_type: "receipt",
        customer_id: customer.id,
        amount: total,
        payment_method: "bank_transfer",
        allocations: [{ invoice_id: sent.id, amount: total }],
      },
    }),
  );
  const paid = ok(await client.GET("/v1/invoices/{invoice_id}", byInvoice));
  console.log(
    JSON.stringify({
      order_status: order.status,
      invoice_number: paid.invoice_number,
      invoice_status: paid.status,
      balance_amount: paid.balance_amount,
    }),
  );
}

/** Billing invoices the completed order from its event: poll the list, as a user would. */
async function invoiceOf(customerId: string, orderId: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const page = ok(
      await client.GET("/v1/invoices", { params: { query: { customer_id: customerId } } }),
    );
    const found = page.find((invoice) => invoice.order_id === orderId);
    if (found) return found;
    if (Date.now() > deadline) throw new Error("billing did not invoice the completed order");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

await main();
