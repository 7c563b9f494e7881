import { createHmac } from "node:crypto";
import { createServer, IncomingHttpHeaders, Server } from "node:http";
import { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { collectPageErrors, createCompany, gotoHydrated, unique, watchCalls } from "./helpers";

type Hit = { headers: IncomingHttpHeaders; body: string };

/** A webhook receiver on loopback (the only place the server may deliver to): answers 200. */
async function receiver(): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hits.push({ headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/costline`, hits, server };
}

/** The Standard Webhooks signature of `hit`, computed here from the secret the page showed. */
function signature(secret: string, hit: Hit): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = `${hit.headers["webhook-id"]}.${hit.headers["webhook-timestamp"]}.${hit.body}`;
  return `v1,${createHmac("sha256", key).update(signed).digest("base64")}`;
}

test("add an endpoint, see its secret once, send a test event, see it delivered", async ({ page, request }) => {
  const errors = collectPageErrors(page);
  const hook = await receiver();
  try {
    const company = await createCompany(request, unique("Hooks"));
    await gotoHydrated(page, `/companies/${company.id}/notifications`);
    await expect(page.getByText("No endpoints yet")).toBeVisible();

    const form = page.getByTestId("webhook-form");
    await form.getByLabel("URL", { exact: true }).fill(hook.url);
    await form.getByLabel("Format").selectOption("json");
    await form.getByRole("checkbox", { name: /alert\.soft/ }).uncheck();
    const adds = watchCalls(page, "add_webhook");
    await form.getByRole("button", { name: "Add endpoint" }).click();

    const secret = (await page.getByTestId("webhook-secret-value").textContent())!.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(adds).toEqual({ fetches: 1, posts: 0 });
    const row = page.getByTestId("webhook-row");
    await expect(row.getByTestId("webhook-url")).toHaveText(hook.url);
    await expect(row.getByTestId("webhook-state")).toHaveText("on");
    await expect(row).not.toContainText("alert.soft");
    const listed = await (await request.get(`/api/companies/${company.id}/webhooks`)).json();
    expect(listed).toHaveLength(1);
    expect(listed[0].events).toEqual([
      "alert.hard",
      "alert.forecast",
      "alert.rate",
      "scope.paused",
      "scope.resumed",
      "incident.opened",
      "incident.resolved",
      "request.created",
      "request.decided",
    ]);

    // Shown once: a fresh load of the page lists the endpoint and never the secret.
    await gotoHydrated(page, `/companies/${company.id}/notifications`);
    await expect(page.getByTestId("webhook-row")).toHaveCount(1);
    await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    await page.getByRole("button", { name: "Send a test event" }).click();
    await expect.poll(() => hook.hits.length, { timeout: 15_000 }).toBe(1);
    const hit = hook.hits[0];
    expect(JSON.parse(hit.body).type).toBe("webhook.test");
    expect(hit.headers["webhook-signature"]).toBe(signature(secret, hit));

    const delivery = page.getByTestId("delivery-row");
    await expect(async () => {
      await page.getByRole("button", { name: "Refresh" }).click();
      await expect(delivery.getByTestId("delivery-status")).toHaveText("delivered", { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    await expect(delivery).toContainText("webhook.test");
    await expect(delivery.getByTestId("delivery-answer")).toHaveText("200");

    // Off, then gone.
    await page.getByRole("button", { name: "Turn off" }).click();
    await expect(page.getByTestId("webhook-state")).toHaveText("off");
    await page.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText("No endpoints yet")).toBeVisible();
    expect(await (await request.get(`/api/companies/${company.id}/webhooks`)).json()).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    hook.server.close();
  }
});

test("an endpoint outside the allowed hosts is refused next to its field", async ({ page, request }) => {
  const company = await createCompany(request, unique("Hooks"));
  await gotoHydrated(page, `/companies/${company.id}/notifications`);
  const form = page.getByTestId("webhook-form");
  await form.getByLabel("URL", { exact: true }).fill("https://hooks.example.com/costline");
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(form.locator(".field-error")).toContainText("COSTLINE_WEBHOOK_ALLOW_HOSTS");
  await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
  expect(await (await request.get(`/api/companies/${company.id}/webhooks`)).json()).toEqual([]);
});
