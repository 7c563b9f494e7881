import { APIRequestContext, expect, test } from "@playwright/test";
import { PREVIOUS_MONTH, day, postEvent, seed, submitWithoutJs, unique } from "./helpers";

// Every form of the dashboard, with JavaScript off: a plain POST to the server function,
// a 302 back to the page, the page rendered again with the change (or the refusal).
test.use({ javaScriptEnabled: false });

async function json(request: APIRequestContext, path: string) {
  return (await request.get(path)).json();
}

test("agents: the budget form, and a refusal shown next to the row", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await page.goto(`/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${writer.id}"]`);
  await expect(row).toContainText("64.00%");
  await row.getByLabel("Monthly budget of writer in dollars").fill("64");
  await submitWithoutJs(page, "set_budget", () => row.getByRole("button", { name: "Set budget" }).click());
  await expect(row).toContainText("50.00%");
  expect((await json(request, `/api/agents/${writer.id}`)).budgetMonthlyCents).toBe(6400);

  await row.getByLabel("Monthly budget of writer in dollars").fill("-5");
  await submitWithoutJs(page, "set_budget", () => row.getByRole("button", { name: "Set budget" }).click(), true);
  await expect(row.locator(".field-error")).toBeVisible();
  expect((await json(request, `/api/agents/${writer.id}`)).budgetMonthlyCents).toBe(6400);
});

test("agents: pause and resume, and a resume refused while over budget", async ({ page, request }) => {
  const { company, writer, reviewer } = await seed(request);
  await page.goto(`/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${reviewer.id}"]`);
  await submitWithoutJs(page, "set_status", () => row.getByRole("button", { name: "Pause" }).click());
  await expect(row).toContainText("paused: by hand");
  expect((await json(request, `/api/agents/${reviewer.id}`)).status).toBe("paused");
  await submitWithoutJs(page, "set_status", () => row.getByRole("button", { name: "Resume" }).click());
  await expect(row.getByRole("button", { name: "Pause" })).toBeVisible();
  expect((await json(request, `/api/agents/${reviewer.id}`)).status).toBe("active");

  await postEvent(request, company.id, { agentId: writer.id, costCents: 1800 }); // $50 of $50
  await page.reload();
  const over = page.locator(`[data-agent-id="${writer.id}"]`);
  await expect(over).toContainText("paused: budget");
  await submitWithoutJs(page, "set_status", () => over.getByRole("button", { name: "Resume" }).click(), true);
  await expect(over.locator(".row-error")).toContainText("over its monthly budget");
  expect((await json(request, `/api/agents/${writer.id}`)).status).toBe("paused");
});

test("projects: the budget form and pause/resume", async ({ page, request }) => {
  const { company, project } = await seed(request); // Launch: $53.45
  await page.goto(`/companies/${company.id}/projects`);
  const row = page.getByTestId("project-row").filter({ hasText: "Launch" });
  await row.getByLabel("Monthly budget of Launch in dollars").fill("100");
  await submitWithoutJs(page, "set_budget", () => row.getByRole("button", { name: "Set budget" }).click());
  await expect(row).toContainText("53.45%");
  expect((await json(request, `/api/projects/${project.id}`)).budgetMonthlyCents).toBe(10000);

  await submitWithoutJs(page, "set_status", () => row.getByRole("button", { name: "Pause" }).click());
  await expect(row).toContainText("paused: by hand");
  expect((await json(request, `/api/projects/${project.id}`)).status).toBe("paused");
  await submitWithoutJs(page, "set_status", () => row.getByRole("button", { name: "Resume" }).click());
  await expect(row.getByRole("button", { name: "Pause" })).toBeVisible();
  expect((await json(request, `/api/projects/${project.id}`)).status).toBe("active");
});

test("settings: name and budget, and pausing the company", async ({ page, request }) => {
  const { company } = await seed(request);
  await page.goto(`/companies/${company.id}/settings`);
  const name = unique("Renamed");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Monthly budget (dollars, empty for none)").fill("150");
  await submitWithoutJs(page, "update_company", () => page.getByRole("button", { name: "Save" }).click());
  await expect(page.getByTestId("company-name")).toHaveText(name);
  await expect(page.getByLabel("Monthly budget (dollars, empty for none)")).toHaveValue("150.00");
  const saved = await json(request, `/api/companies/${company.id}`);
  expect([saved.name, saved.budgetMonthlyCents]).toEqual([name, 15000]);

  await page.getByLabel("Monthly budget (dollars, empty for none)").fill("a lot");
  await submitWithoutJs(page, "update_company", () => page.getByRole("button", { name: "Save" }).click(), true);
  await expect(page.locator(".field-error")).toBeVisible();
  expect((await json(request, `/api/companies/${company.id}`)).budgetMonthlyCents).toBe(15000);

  await submitWithoutJs(page, "set_status", () => page.getByRole("button", { name: "Pause the company" }).click());
  await expect(page.getByRole("button", { name: "Resume the company" })).toBeVisible();
  expect((await json(request, `/api/companies/${company.id}`)).status).toBe("paused");
  await submitWithoutJs(page, "set_status", () => page.getByRole("button", { name: "Resume the company" }).click());
  await expect(page.getByRole("button", { name: "Pause the company" })).toBeVisible();
  expect((await json(request, `/api/companies/${company.id}`)).status).toBe("active");
});

test("the price book form adds a price", async ({ page, request }) => {
  const model = unique("nojs-model").replace(/\s/g, "-");
  await page.goto("/prices");
  await page.getByLabel("Provider", { exact: true }).fill("acme");
  await page.getByLabel("Model or pattern", { exact: true }).fill(model);
  await page.getByLabel("From (UTC)", { exact: true }).fill(day(1));
  await page.getByLabel("Input $/M", { exact: true }).fill("0.075");
  await page.getByLabel("Output $/M", { exact: true }).fill("2.5");
  await submitWithoutJs(page, "put_price", () => page.getByRole("button", { name: "Save price" }).click());
  const row = page.getByTestId("price-row").filter({ hasText: model });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("$0.075");
  const prices = (await json(request, "/api/model-prices")) as { model: string; inputMicroCentsPerMTok: number }[];
  expect(prices.filter((p) => p.model === model).map((p) => p.inputMicroCentsPerMTok)).toEqual([7_500_000]);
});

test("the month picker and the event filters are plain GET forms", async ({ page, request }) => {
  const { company, writer } = await seed(request); // $123.45 this month
  await postEvent(request, company.id, { agentId: writer.id, costCents: 500, occurredAt: `${PREVIOUS_MONTH}-10T10:00:00Z` });
  await page.goto(`/companies/${company.id}`);
  await expect(page.getByTestId("tile-spend")).toHaveText("$123.45");
  await page.getByLabel("Month", { exact: true }).fill(PREVIOUS_MONTH);
  await Promise.all([
    page.waitForURL((url) => url.pathname === `/companies/${company.id}` && url.searchParams.get("month") === PREVIOUS_MONTH),
    page.getByRole("button", { name: "Show" }).click(),
  ]);
  await expect(page.getByTestId("tile-spend")).toHaveText("$5.00");

  await page.goto(`/companies/${company.id}/events`);
  await expect(page.getByTestId("event-row")).toHaveCount(6); // every month's
  await page.getByLabel("Agent").selectOption(writer.id);
  await page.getByLabel("From", { exact: true }).fill(`${PREVIOUS_MONTH}-01`);
  await page.getByLabel("To", { exact: true }).fill(`${PREVIOUS_MONTH}-28`);
  await Promise.all([
    page.waitForURL(new RegExp(`agentId=${writer.id}.*from=${PREVIOUS_MONTH}-01&to=${PREVIOUS_MONTH}-28`)),
    page.getByRole("button", { name: "Filter" }).click(),
  ]);
  await expect(page.getByTestId("event-row")).toHaveCount(1);
  await expect(page.getByTestId("event-row")).toContainText("$5.00");
});

test("an agent key made without JavaScript is shown once on the agent's page, then never", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await page.goto(`/companies/${company.id}/agents/${writer.id}`);
  await submitWithoutJs(page, "create_agent_key", () => page.getByRole("button", { name: "Create a key" }).click());
  const key = (await page.getByTestId("new-key-value").textContent())!.trim();
  expect(key).toMatch(/^cla_/);
  const listed = await json(request, `/api/agents/${writer.id}/keys`);
  expect(listed).toHaveLength(1);
  expect(key.startsWith(listed[0].prefix)).toBe(true);
  // The cookie that carried it is gone: a reload, or another agent's page, shows nothing.
  const cookies = await page.context().cookies();
  expect(cookies.filter((c) => c.name === "costline_secret")).toEqual([]);
  await page.reload();
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(key);
});

test("a webhook's signing secret made without JavaScript is shown once", async ({ page, request }) => {
  const { company } = await seed(request);
  await page.goto(`/companies/${company.id}/notifications`);
  const form = page.getByTestId("webhook-form");
  await form.getByLabel("URL", { exact: true }).fill("http://127.0.0.1:9/nojs");
  await submitWithoutJs(page, "add_webhook", () => form.getByRole("button", { name: "Add endpoint" }).click());
  await expect(page.getByTestId("webhook-secret")).toContainText("http://127.0.0.1:9/nojs");
  const secret = (await page.getByTestId("webhook-secret-value").textContent())!.trim();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await page.reload();
  await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(secret);
});
