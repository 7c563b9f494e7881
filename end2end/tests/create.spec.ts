import { APIRequestContext, Page, expect, test } from "@playwright/test";
import { collectPageErrors, gotoHydrated, unique, watchCalls } from "./helpers";

// Creating a company, an agent and a project from the dashboard, renaming and terminating:
// with JavaScript (the hydrated app calls the server function and follows its redirect)
// and without (a plain form post answered by a 302 to what it made).

async function companies(request: APIRequestContext): Promise<{ id: string; name: string; budgetMonthlyCents: number }[]> {
  return (await request.get("/api/companies")).json();
}

async function members(request: APIRequestContext, companyId: string, kind: "agents" | "projects") {
  return (await (await request.get(`/api/companies/${companyId}/${kind}`)).json()) as {
    id: string;
    name: string;
    status: string;
    budgetMonthlyCents: number;
  }[];
}

/** Fills and submits the "new agent" or "new project" form of the page. */
async function createMember(page: Page, noun: "agent" | "project", name: string, dollars: string) {
  const form = page.getByTestId(`new-${noun}-form`);
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Monthly budget (dollars, empty for none)").fill(dollars);
  await form.getByRole("button", { name: `Create ${noun}` }).click();
}

test("with JavaScript: a company, an agent and a project, renamed and terminated", async ({ page, request }) => {
  const errors = collectPageErrors(page);
  await gotoHydrated(page, "/");
  const calls = watchCalls(page, "create_company");
  const name = unique("Made");
  const form = page.getByTestId("new-company-form");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Monthly budget (dollars, empty for none)").fill("1,500");
  await form.getByRole("button", { name: "Create company" }).click();
  await expect(page.getByTestId("company-name")).toHaveText(name);
  expect(calls).toEqual({ fetches: 1, posts: 0 });
  const company = (await companies(request)).find((c) => c.name === name)!;
  expect(company.budgetMonthlyCents).toBe(150000);
  await expect(page).toHaveURL(new RegExp(`/companies/${company.id}$`));

  await gotoHydrated(page, `/companies/${company.id}/agents`);
  await expect(page.getByText("No agents yet")).toBeVisible();
  // A refusal names its field and makes nothing.
  await createMember(page, "agent", "spender", "-1");
  await expect(page.getByTestId("new-agent-form").locator(".field-error")).toBeVisible();
  expect(await members(request, company.id, "agents")).toHaveLength(0);

  // Made: the page lands on the agent's own page.
  await createMember(page, "agent", "scout", "20");
  await expect(page.getByTestId("member-budget")).toHaveText("$20.00");
  const [agent] = await members(request, company.id, "agents");
  expect([agent.name, agent.budgetMonthlyCents]).toEqual(["scout", 2000]);
  await expect(page).toHaveURL(new RegExp(`/agents/${agent.id}$`));

  await gotoHydrated(page, `/companies/${company.id}/agents`);
  const row = page.getByTestId("agent-row").filter({ hasText: "scout" });
  await expect(row).toContainText("$20.00");

  await row.getByText("Rename…").click();
  await row.getByLabel("New name of scout").fill("ranger");
  await row.getByRole("button", { name: "Rename" }).click();
  const renamed = page.getByTestId("agent-row").filter({ hasText: "ranger" });
  await expect(renamed).toBeVisible();
  expect((await members(request, company.id, "agents"))[0].name).toBe("ranger");
  // The redrawn row's disclosure opens again, holding the new name; a refused name keeps
  // it open, with the reason.
  await renamed.getByText("Rename…").click();
  const input = renamed.getByLabel("New name of ranger");
  await expect(input).toBeVisible();
  await expect(input).toHaveValue("ranger");
  await input.fill("r".repeat(201));
  await renamed.getByRole("button", { name: "Rename" }).click();
  await expect(renamed.getByRole("alert")).toHaveText("must be at most 200 characters");
  await expect(renamed.getByLabel("New name of ranger")).toBeVisible();
  await renamed.getByText("Rename…").click();
  await expect(renamed.getByLabel("New name of ranger")).toBeHidden();
  // Terminated from its own page.
  await gotoHydrated(page, `/companies/${company.id}/agents/${agent.id}`);
  await page.getByText("Rename…").click();
  await page.getByRole("button", { name: "Terminate for good" }).click();
  await expect(page.getByTestId("member-name")).toContainText("terminated");
  expect((await members(request, company.id, "agents"))[0].status).toBe("terminated");

  await gotoHydrated(page, `/companies/${company.id}/projects`);
  await createMember(page, "project", "Moonshot", "");
  await expect(page.getByTestId("member-name")).toContainText("Moonshot");
  const [project] = await members(request, company.id, "projects");
  await expect(page).toHaveURL(new RegExp(`/projects/${project.id}$`));
  expect([project.name, project.budgetMonthlyCents]).toEqual(["Moonshot", 0]);
  // The refused agent was a 400, which the browser logs; nothing else may be.
  expect(errors.filter((e) => !e.includes("status of 400"))).toEqual([]);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a company, then an agent and a project, each a plain form post", async ({ page, request }) => {
    await page.goto("/");
    const form = page.getByTestId("new-company-form");
    // Refused: the error comes back by the field, nothing is made.
    const before = (await companies(request)).length;
    await form.getByLabel("Name").fill(unique("Refused"));
    await form.getByLabel("Monthly budget (dollars, empty for none)").fill("a lot");
    await form.getByRole("button", { name: "Create company" }).click();
    await expect(page.getByTestId("new-company-form").locator(".field-error")).toBeVisible();
    expect(await companies(request)).toHaveLength(before);

    const name = unique("Plain");
    await page.getByTestId("new-company-form").getByLabel("Name").fill(name);
    await page.getByTestId("new-company-form").getByLabel("Monthly budget (dollars, empty for none)").fill("");
    const posted = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/rpc/create_company"));
    await page.getByTestId("new-company-form").getByRole("button", { name: "Create company" }).click();
    const answer = await (await posted).response();
    expect(answer?.status()).toBe(302);
    await expect(page.getByTestId("company-name")).toHaveText(name);
    const company = (await companies(request)).find((c) => c.name === name)!;
    expect(company.budgetMonthlyCents).toBe(0);
    expect(new URL(page.url()).pathname).toBe(`/companies/${company.id}`);

    await page.goto(`/companies/${company.id}/agents`);
    await createMember(page, "agent", "walker", "5");
    await expect(page.getByTestId("member-name")).toContainText("walker");
    await expect(page.getByTestId("member-budget")).toHaveText("$5.00");
    await page.goto(`/companies/${company.id}/projects`);
    await createMember(page, "project", "Paper", "7.50");
    await expect(page.getByTestId("member-budget")).toHaveText("$7.50");
    expect((await members(request, company.id, "projects"))[0].budgetMonthlyCents).toBe(750);
  });
});
